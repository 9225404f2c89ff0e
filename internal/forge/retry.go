package forge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/sleep"
)

// RetryPolicy bounds retries of failed requests.
type RetryPolicy struct {
	Max     int           // retries after the first attempt; 0 = 4
	Backoff time.Duration // first wait without Retry-After, doubled each time; 0 = 1 s
	MaxWait time.Duration // a longer wait asked by the forge is not waited for; 0 = 60 s
	// Sleep waits; nil = a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Max == 0 {
		p.Max = 4
	}
	if p.Backoff == 0 {
		p.Backoff = time.Second
	}
	if p.MaxWait == 0 {
		p.MaxWait = 60 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = sleep.For
	}
	return p
}

// retrySafeKey marks a request context whose POST may be sent again after
// a 5xx (see retrySafe).
type retrySafeKey struct{}

// retrySafe marks ctx's requests as safe to resend after a 5xx or no
// answer, although their method is not idempotent: setting a commit status
// twice leaves the same state, and a pull request opened twice is refused
// the second time and found again by the caller.
func retrySafe(ctx context.Context) context.Context {
	return context.WithValue(ctx, retrySafeKey{}, true)
}

// resendable says whether a request that may have reached the forge can
// be sent again without doing its work twice.
func resendable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions:
		// PATCH is not idempotent in general; the forges' PATCHes used
		// here (edit a comment or a pull request) set fields to values.
		return true
	}
	safe, _ := req.Context().Value(retrySafeKey{}).(bool)
	return safe
}

// retryTransport retries requests the forge answered with 429 or a rate
// limit (GitHub's secondary limits answer 403 with Retry-After, or with
// x-ratelimit-remaining: 0 and a reset time), which the forge refused
// without doing them, waiting what the forge asks (Retry-After,
// x-ratelimit-reset) or backing off exponentially; and requests answered
// with 5xx or not at all, when resending cannot do their work twice (see
// resendable; a comment is created once, and looked for again by its
// caller instead). It never retries longer than MaxWait at once, nor more
// than Max times.
//
// Each attempt has its own timeout: a client-wide one would also count
// the waits between attempts, so a Retry-After of a minute (GitHub's rate
// limits) would end in a timeout instead of a retry.
type retryTransport struct {
	base    http.RoundTripper
	policy  RetryPolicy
	timeout time.Duration // per attempt; 0 = none
	log     *slog.Logger
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.policy
	backoff := p.Backoff
	for attempt := 0; ; attempt++ {
		resp, err := t.attempt(req, attempt)
		wait, why, retry := t.decide(req, resp, err, backoff)
		if !retry || attempt >= p.Max || wait > p.MaxWait {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		t.log.Warn("forge request failed: retrying", "method", req.Method, "path", req.URL.Path, "why", why, "wait", wait, "attempt", attempt+1)
		if err := p.Sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		backoff *= 2
	}
}

// attempt sends req once, within the per-attempt timeout, which ends when
// the answer's body is closed.
func (t *retryTransport) attempt(req *http.Request, n int) (*http.Response, error) {
	ctx, cancel := req.Context(), context.CancelFunc(func() {})
	if t.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
	}
	r := req.WithContext(ctx)
	if n > 0 && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			cancel()
			return nil, fmt.Errorf("%s %s: cannot resend the request body", req.Method, req.URL.Path)
		}
		body, err := req.GetBody()
		if err != nil {
			cancel()
			return nil, err
		}
		r.Body = body
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		cancel()
		if ctx.Err() == context.DeadlineExceeded && req.Context().Err() == nil {
			err = fmt.Errorf("no answer within %s: %w", t.timeout, err)
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends an attempt's context once its body is read.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// decide says whether and how long to wait before retrying.
func (t *retryTransport) decide(req *http.Request, resp *http.Response, err error, backoff time.Duration) (time.Duration, string, bool) {
	if err != nil {
		return backoff, err.Error(), resendable(req) && req.Context().Err() == nil
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return waitFor(resp, backoff), "429 too many requests", true
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return waitFor(resp, backoff), resp.Status, resendable(req)
	case resp.StatusCode == http.StatusForbidden && isRateLimited(resp):
		return waitFor(resp, time.Minute), "rate limited", true
	}
	return 0, "", false
}

// isRateLimited tells a rate-limit 403 from a permission 403, as GitHub
// documents it: Retry-After, or no requests remaining, or the secondary
// rate limit message. The body is peeked and put back.
func isRateLimited(resp *http.Response) bool {
	if resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		return true
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return strings.Contains(strings.ToLower(string(body)), "rate limit")
}

// waitFor reads Retry-After (seconds or an HTTP date) or, when no requests
// remain, x-ratelimit-reset (epoch seconds); else def.
func waitFor(resp *http.Response, def time.Duration) time.Duration {
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil {
			return time.Duration(s) * time.Second
		}
		if at, err := http.ParseTime(ra); err == nil {
			return max(time.Until(at), 0)
		}
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return max(time.Until(time.Unix(s, 0)), 0)
		}
	}
	return def
}
