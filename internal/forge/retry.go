package forge

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds retries of failed requests.
type RetryPolicy struct {
	Max     int           // retries after the first attempt; 0 = 4
	Backoff time.Duration // first wait without Retry-After, doubled each time; 0 = 1 s
	MaxWait time.Duration // a longer wait asked by the forge is not waited for; 0 = 60 s
	// Sleep waits; nil = time.Sleep honouring the request's context.
	Sleep func(r *http.Request, d time.Duration) error
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
		p.Sleep = func(r *http.Request, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-r.Context().Done():
				return r.Context().Err()
			case <-t.C:
				return nil
			}
		}
	}
	return p
}

// retryTransport retries requests the forge answered with 5xx, 429 or a
// rate limit (GitHub's secondary limits answer 403 with Retry-After, or
// with x-ratelimit-remaining: 0 and a reset time), waiting what the forge
// asks (Retry-After, x-ratelimit-reset) or backing off exponentially, and
// GET requests that failed on the network. It never retries longer than
// MaxWait at once, nor more than Max times.
type retryTransport struct {
	base   http.RoundTripper
	policy RetryPolicy
	log    *slog.Logger
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.policy
	backoff := p.Backoff
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.Body != nil {
			if req.GetBody == nil {
				return nil, fmt.Errorf("%s %s: cannot resend the request body", req.Method, req.URL.Path)
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(req.Context())
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		wait, why, retry := t.decide(req, resp, err, backoff)
		if !retry || attempt >= p.Max || wait > p.MaxWait {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		t.log.Warn("forge request failed: retrying", "method", req.Method, "path", req.URL.Path, "why", why, "wait", wait, "attempt", attempt+1)
		if err := p.Sleep(req, wait); err != nil {
			return nil, err
		}
		backoff *= 2
	}
}

// decide says whether and how long to wait before retrying.
func (t *retryTransport) decide(req *http.Request, resp *http.Response, err error, backoff time.Duration) (time.Duration, string, bool) {
	if err != nil {
		return backoff, err.Error(), req.Method == http.MethodGet && req.Context().Err() == nil
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return waitFor(resp, backoff), "429 too many requests", true
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return waitFor(resp, backoff), resp.Status, true
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
