package harness

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cc-ci/recipe-test/v2/internal/sleep"
)

// Retry and size bounds of a Client.
const (
	// defaultAttempts is how many times a request is sent at most.
	defaultAttempts = 5
	// defaultBackoff is the first pause between attempts; it doubles up to
	// maxBackoff (0.25+0.5+1+2 s between five attempts).
	defaultBackoff = 250 * time.Millisecond
	maxBackoff     = 2 * time.Second
	// attemptTimeout bounds one attempt, body included; requestTimeout
	// all of them with their pauses.
	attemptTimeout = 60 * time.Second
	requestTimeout = 2 * time.Minute
	// maxBody is the largest response body a Client reads.
	maxBody = 32 << 20
)

// Client is an HTTP client that reaches the app through the run's ingress
// proxy, TLS verification off when the run says so (Facts.Insecure). It
// sends a request again, after a short pause and a few times at most, only
// when that is safe and may help:
//   - on a network error, for an idempotent request (GET, HEAD, OPTIONS,
//     TRACE, PUT, DELETE, or one with an Idempotency-Key header), and for
//     any request when the connection could not be opened, so that nothing
//     was sent;
//   - on 502, 503 and 504, for an idempotent request.
//
// Every other status is returned as is, at once. Paths are relative to the
// app's base URL. A Client is safe for concurrent use.
type Client struct {
	base     string // Facts.BaseURL without its trailing slash
	hc       *http.Client
	attempts int
	backoff  time.Duration
}

// Response is a finished request: what was asked, the status, the headers
// and the whole body.
type Response struct {
	Method string
	// URL is where the response came from, after redirects.
	URL    string
	Status int
	Header http.Header
	Body   []byte
	// Attempts is how many times the request was sent.
	Attempts int
}

// HTTP returns a client through the ingress that keeps no cookies.
func (e *Env) HTTP() *Client { return e.newClient(nil) }

// Session returns a client through the ingress with a cookie jar of its
// own, for a login: two sessions never share cookies.
func (e *Env) Session() *Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return e.newClient(jar)
}

// HTTPClient returns a plain *http.Client through the ingress, for
// libraries that take one (an OAuth 2.0 or OpenID Connect client, such as
// harness/sso's): no retries, no cookies, each request bounded like one
// attempt of a Client.
func (e *Env) HTTPClient() *http.Client {
	return &http.Client{Transport: e.httpTransport(), Timeout: attemptTimeout}
}

func (e *Env) newClient(jar http.CookieJar) *Client {
	return &Client{
		base:     strings.TrimRight(e.BaseURL, "/"),
		hc:       &http.Client{Transport: e.httpTransport(), Jar: jar, Timeout: attemptTimeout},
		attempts: defaultAttempts,
		backoff:  defaultBackoff,
	}
}

// httpTransport returns the Env's transport through the ingress proxy
// (never through HTTP_PROXY and friends), shared by its clients.
func (e *Env) httpTransport() *http.Transport {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.transport == nil {
		e.transport = &http.Transport{
			Proxy:                 http.ProxyURL(e.proxy),
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{InsecureSkipVerify: e.Insecure}, //nolint:gosec // staging certificates, when the run says so
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: attemptTimeout,
			IdleConnTimeout:       30 * time.Second,
			MaxIdleConnsPerHost:   8,
			ForceAttemptHTTP2:     true,
		}
	}
	return e.transport
}

// WithoutRedirects returns a copy of the client that returns redirects
// instead of following them (to check a 302 and its Location). The copy
// shares the client's cookie jar.
func (c *Client) WithoutRedirects() *Client {
	cp := *c
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cp.hc = &hc
	return &cp
}

// URL returns the absolute URL of a path on the app; an absolute URL is
// returned as is.
func (c *Client) URL(path string) string {
	if u, err := url.Parse(path); err == nil && u.Scheme != "" {
		return path
	}
	return c.base + "/" + strings.TrimLeft(path, "/")
}

// Get requests a path and returns the response, whatever its status.
func (c *Client) Get(t testing.TB, path string) *Response {
	t.Helper()
	return c.Do(t, c.newRequest(t, http.MethodGet, path, nil, ""))
}

// Delete deletes a path and returns the response, whatever its status.
func (c *Client) Delete(t testing.TB, path string) *Response {
	t.Helper()
	return c.Do(t, c.newRequest(t, http.MethodDelete, path, nil, ""))
}

// GetJSON requests a path, wants 200, and decodes the JSON body into out.
func (c *Client) GetJSON(t testing.TB, path string, out any) {
	t.Helper()
	c.Get(t, path).WantStatus(t, http.StatusOK).JSON(t, out)
}

// PostJSON sends in as JSON and returns the response, whatever its status;
// when out is not nil and the status is 2xx, it decodes the body into out.
func (c *Client) PostJSON(t testing.TB, path string, in, out any) *Response {
	t.Helper()
	return c.sendJSON(t, http.MethodPost, path, in, out)
}

// PutJSON is PostJSON with PUT.
func (c *Client) PutJSON(t testing.TB, path string, in, out any) *Response {
	t.Helper()
	return c.sendJSON(t, http.MethodPut, path, in, out)
}

// PostForm sends form as application/x-www-form-urlencoded (a login form)
// and returns the response, whatever its status.
func (c *Client) PostForm(t testing.TB, path string, form url.Values) *Response {
	t.Helper()
	body := []byte(form.Encode())
	return c.Do(t, c.newRequest(t, http.MethodPost, path, body, "application/x-www-form-urlencoded"))
}

func (c *Client) sendJSON(t testing.TB, method, path string, in, out any) *Response {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("harness: %s %s: encoding the body: %v", method, c.URL(path), err)
	}
	resp := c.Do(t, c.newRequest(t, method, path, data, "application/json"))
	if out != nil && resp.Status/100 == 2 {
		resp.JSON(t, out)
	}
	return resp
}

func (c *Client) newRequest(t testing.TB, method, path string, body []byte, contentType string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.URL(path), r)
	if err != nil {
		t.Fatalf("harness: %s %s: %v", method, c.URL(path), err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// Do sends a request, retrying as the Client says, and reads the whole
// answer, whatever its status. A request that got no answer fails the
// test. The request ends with the test.
func (c *Client) Do(t testing.TB, req *http.Request) *Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), requestTimeout)
	defer cancel()
	if tctx := t.Context(); tctx.Err() == nil {
		stop := context.AfterFunc(tctx, cancel)
		defer stop()
	}
	resp, err := c.send(ctx, req)
	if err != nil {
		t.Fatalf("harness: %s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

// send is Do's retry loop.
func (c *Client) send(ctx context.Context, req *http.Request) (*Response, error) {
	body, err := replayable(req)
	if err != nil {
		return nil, err
	}
	idempotent := isIdempotent(req)
	pause := c.backoff
	for attempt := 1; ; attempt++ {
		r := req.Clone(ctx)
		r.Body, r.GetBody = nil, nil
		if body != nil {
			if r.Body, err = body(); err != nil {
				return nil, fmt.Errorf("replaying the request body: %w", err)
			}
		}
		resp, err := c.attempt(r)
		switch {
		case err == nil && (!idempotent || !retryableStatus(resp.Status) || attempt == c.attempts):
			resp.Attempts = attempt
			return resp, nil
		case err == nil: // a retryable status: tried again below
			err = fmt.Errorf("answered %d %s", resp.Status, http.StatusText(resp.Status))
		case attempt == c.attempts || errors.Is(err, errBodyTooLarge):
			return nil, fmt.Errorf("%w (attempt %d)", err, attempt)
		case !idempotent && !notSent(err):
			return nil, fmt.Errorf("%w (not sent again: the request may have reached the app)", err)
		}
		if cerr := sleep.For(ctx, pause); cerr != nil {
			return nil, fmt.Errorf("%w; giving up: %w (attempt %d)", err, cerr, attempt)
		}
		pause = min(2*pause, maxBackoff)
	}
}

var errBodyTooLarge = fmt.Errorf("response body larger than %d MiB", maxBody>>20)

// attempt sends r once and reads the whole body.
func (c *Client) attempt(r *http.Request) (*Response, error) {
	resp, err := c.hc.Do(r)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		return nil, ue.Err // Do's message names the method and the URL already
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body of a %d response: %w", resp.StatusCode, err)
	}
	if len(data) > maxBody {
		return nil, errBodyTooLarge
	}
	return &Response{Method: r.Method, URL: resp.Request.URL.String(), Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// replayable returns a function that gives the request's body afresh for
// each attempt, or nil for a request without a body.
func replayable(req *http.Request) (func() (io.ReadCloser, error), error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody != nil {
		req.Body.Close()
		return req.GetBody, nil
	}
	data, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, nil
}

// isIdempotent reports whether sending req twice does what sending it once
// does, as net/http decides it.
func isIdempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// notSent reports an error from opening the connection (to the proxy, or a
// tunnel through it): the request itself was never written.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")
}

// retryableStatus reports the statuses of an app (or an ingress) that is
// not ready yet.
func retryableStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// WantStatus fails the test unless the response has one of the statuses,
// naming the request, the status and the start of the body. It returns the
// response, for chaining.
func (r *Response) WantStatus(t testing.TB, want ...int) *Response {
	t.Helper()
	for _, w := range want {
		if r.Status == w {
			return r
		}
	}
	t.Fatalf("harness: %s, want %s", r, statuses(want))
	return r
}

// JSON decodes the body into out, failing the test when it is not the
// JSON wanted.
func (r *Response) JSON(t testing.TB, out any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, out); err != nil {
		t.Fatalf("harness: %s: body is not the JSON wanted (%T): %v", r, out, err)
	}
}

// Text returns the body as a string.
func (r *Response) Text() string { return string(r.Body) }

// String describes the response for messages: method, URL, status and the
// start of the body.
func (r *Response) String() string {
	s := fmt.Sprintf("%s %s: %d %s", r.Method, r.URL, r.Status, http.StatusText(r.Status))
	if ex := excerpt(r.Body); ex != "" {
		s += ": " + ex
	}
	return s
}

func statuses(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, " or ")
}

// excerptLen bounds the body shown in a message.
const excerptLen = 300

// excerpt returns the start of a body for a message, on one line.
func excerpt(b []byte) string {
	if len(b) > excerptLen {
		cut := excerptLen
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = append(b[:cut:cut], "…"...)
	}
	return strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "�")), " ")
}
