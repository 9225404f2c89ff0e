package ssoadmin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxAPIBody bounds what is read of an admin API's answer.
const maxAPIBody = 4 << 20

// restAPI is one admin API: JSON requests to a base URL, authorized by
// auth's header value.
type restAPI struct {
	name string // the backend, for errors
	hc   *http.Client
	base string // without the trailing slash
	auth func(ctx context.Context) (string, error)
}

// APIError is an admin API's answer with an unexpected status.
type APIError struct {
	Backend string
	Method  string
	Path    string
	Status  int
	Body    string // an excerpt
}

func (e *APIError) Error() string {
	return fmt.Sprintf("sso: %s API: %s %s: HTTP %d: %s", e.Backend, e.Method, e.Path, e.Status, e.Body)
}

// do sends in as JSON (none when nil) to base+path, expects one of the
// want statuses, decodes the answer into out (when not nil) and returns
// the response headers.
func (a *restAPI) do(ctx context.Context, method, path string, in, out any, want ...int) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("sso: %s API: %s %s: encoding the request: %w", a.name, method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("sso: %s API: %s %s: %w", a.name, method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	authz, err := a.auth(ctx)
	if err != nil {
		return nil, fmt.Errorf("sso: %s API: %s %s: authorizing: %w", a.name, method, path, err)
	}
	req.Header.Set("Authorization", authz)
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sso: %s API: %s %s: %w", a.name, method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return nil, fmt.Errorf("sso: %s API: %s %s: reading the answer: %w", a.name, method, path, err)
	}
	if !slices.Contains(want, resp.StatusCode) {
		return nil, &APIError{Backend: a.name, Method: method, Path: path, Status: resp.StatusCode, Body: Excerpt(data)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("sso: %s API: %s %s: decoding the answer: %w", a.name, method, path, err)
		}
	}
	return resp.Header, nil
}

// Excerpt is the start of an HTTP answer's body, on one line, for an
// error.
func Excerpt(b []byte) string {
	const max = 300
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
