package harness

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Client is an HTTP client that reaches the app through the run's ingress.
// It retries what is retryable (network errors and 502/503/504), never
// other statuses, and a request with a body only when it failed before
// reaching the app.
type Client struct {
	base    string
	hc      *http.Client
	retries int
	backoff time.Duration
}

// Response is a finished request: status, headers and the whole body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// HTTP returns a client through the ingress, without cookies.
func (e *Env) HTTP() *Client { return e.client(nil) }

// Session returns a client with its own cookie jar, for logins.
func (e *Env) Session() *Client {
	jar, _ := cookiejar.New(nil)
	return e.client(jar)
}

func (e *Env) client(jar http.CookieJar) *Client {
	proxy, _ := url.Parse(e.ProxyURL)
	tr := &http.Transport{
		Proxy:                 http.ProxyURL(proxy),
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: e.Insecure}, //nolint:gosec // staging certificates, by request
		ResponseHeaderTimeout: 60 * time.Second,
	}
	return &Client{base: strings.TrimRight(e.BaseURL, "/"), retries: 4, backoff: 500 * time.Millisecond,
		hc: &http.Client{Transport: tr, Jar: jar, Timeout: 2 * time.Minute}}
}

// URL returns the absolute URL of a path on the app.
func (c *Client) URL(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return c.base + "/" + strings.TrimLeft(path, "/")
}

// Get requests a path and returns the response, whatever its status.
func (c *Client) Get(t testing.TB, path string) *Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.URL(path), nil)
	if err != nil {
		t.Fatalf("harness: GET %s: %v", path, err)
	}
	return c.Do(t, req)
}

// GetJSON requests a path, wants 200, and decodes the body into out.
func (c *Client) GetJSON(t testing.TB, path string, out any) {
	t.Helper()
	resp := c.Get(t, path)
	if resp.Status != http.StatusOK {
		t.Fatalf("harness: GET %s: %d: %s", c.URL(path), resp.Status, excerpt(resp.Body))
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		t.Fatalf("harness: GET %s: not the JSON wanted: %v: %s", c.URL(path), err, excerpt(resp.Body))
	}
}

// PostJSON sends in as JSON and, when out is not nil and the status is
// 2xx, decodes the answer into out. It returns the response.
func (c *Client) PostJSON(t testing.TB, path string, in, out any) *Response {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("harness: POST %s: %v", path, err)
	}
	req, err := http.NewRequest(http.MethodPost, c.URL(path), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("harness: POST %s: %v", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp := c.Do(t, req)
	if out != nil && resp.Status/100 == 2 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			t.Fatalf("harness: POST %s: not the JSON wanted: %v: %s", c.URL(path), err, excerpt(resp.Body))
		}
	}
	return resp
}

// Do sends a request (with retries, see Client) and reads the whole
// answer. A request that never got an answer fails the test.
func (c *Client) Do(t testing.TB, req *http.Request) *Response {
	t.Helper()
	resp, err := c.do(req)
	if err != nil {
		t.Fatalf("harness: %s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

func (c *Client) do(req *http.Request) (*Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead || req.Method == http.MethodOptions ||
		req.Method == http.MethodPut || req.Method == http.MethodDelete
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		if body != nil {
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := c.hc.Do(req)
		if err == nil {
			data, rerr := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
			resp.Body.Close()
			if rerr != nil {
				err = rerr
			} else {
				r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
				retryable := resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable ||
					resp.StatusCode == http.StatusGatewayTimeout
				if !retryable || !idempotent || attempt >= c.retries {
					return r, nil
				}
			}
		}
		if err != nil && (attempt >= c.retries || !idempotent && !isConnectError(err)) {
			return nil, err
		}
		time.Sleep(wait)
		wait *= 2
	}
}

// isConnectError reports a request that failed before anything was sent.
func isConnectError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" || errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "dial")
}

func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// WaitUntil calls check every interval until it returns nil, and fails the
// test with the last error when timeout passes first.
func WaitUntil(t testing.TB, timeout, interval time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("harness: still failing after %s: %v", timeout, err)
		}
		time.Sleep(interval)
	}
}
