package ingress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/heartbeat"
)

// ProbeOptions says what a ready app answers.
type ProbeOptions struct {
	// Path is asked for on the ingress's BaseURL; default "/".
	Path string
	// Accept lists the statuses that mean ready; default 200, 301, 302.
	Accept []int
	// Timeout bounds the whole probe; default 2 minutes.
	Timeout time.Duration
	// Interval is the pause between attempts; default 500ms.
	Interval time.Duration
	// Progress, when set, receives a line each time the answer changes.
	Progress func(string)
}

// ProbeResult is the accepted answer.
type ProbeResult struct {
	URL      string
	Status   int
	Location string // the Location of an accepted redirect, not followed
	Attempts int
	Elapsed  time.Duration
}

// ErrNotReady is wrapped by Probe's error when no accepted status came
// before the timeout.
var ErrNotReady = errors.New("app not ready")

// attemptTimeout bounds one request, so a hung answer cannot use up the
// whole probe.
const attemptTimeout = 10 * time.Second

// Probe asks for BaseURL+Path through the ingress, without following
// redirects, until the status is accepted, retrying on network errors and
// other statuses. Its error names the URL and the last status or error.
func Probe(ctx context.Context, ing Ingress, opts ProbeOptions) (ProbeResult, error) {
	if opts.Path == "" {
		opts.Path = "/"
	}
	if len(opts.Accept) == 0 {
		opts.Accept = []int{http.StatusOK, http.StatusMovedPermanently, http.StatusFound}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.Interval <= 0 {
		opts.Interval = 500 * time.Millisecond
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	res := ProbeResult{URL: ing.BaseURL() + opts.Path}
	client := *ing.HTTPClient()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	last := ""
	beat := heartbeat.New(progress, opts.Timeout, 0)
	for {
		res.Attempts++
		status, loc, state, body := probeOnce(pctx, &client, res.URL)
		if loc != "" {
			state += " -> " + loc
		}
		if slices.Contains(opts.Accept, status) {
			res.Status, res.Location, res.Elapsed = status, loc, time.Since(start)
			progress(fmt.Sprintf("GET %s: %s: ready after %d attempt(s) in %s", res.URL, state, res.Attempts, res.Elapsed.Round(time.Millisecond)))
			return res, nil
		}
		if body != "" {
			state += " (" + body + ")"
		}
		// An attempt cut short because the probe itself ended says nothing
		// about the app: the error keeps the last real answer.
		if cut := status == 0 && pctx.Err() != nil; !cut {
			beat.Update(fmt.Sprintf("GET %s: %s", res.URL, state))
			last = state
		}
		t := time.NewTimer(opts.Interval)
		select {
		case <-pctx.Done():
			t.Stop()
			res.Elapsed = time.Since(start)
			if last == "" {
				last = "none before the probe ended"
			}
			if err := ctx.Err(); err != nil {
				return res, fmt.Errorf("probing %s: %w (last answer: %s)", res.URL, err, last)
			}
			return res, fmt.Errorf("probing %s: %w after %s and %d attempts (accepting %s): last answer: %s",
				res.URL, ErrNotReady, opts.Timeout, res.Attempts, statusList(opts.Accept), last)
		case <-t.C:
		}
	}
}

// probeOnce asks once; status is 0 on a network error. state describes
// the answer for humans, body is the first line of the answer's body.
func probeOnce(ctx context.Context, client *http.Client, u string) (status int, location, state, body string) {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err.Error(), ""
	}
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // it repeats the method and URL we already name
		}
		return 0, "", "no answer: " + err.Error(), ""
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location"), resp.Status, bodyStart(resp.Body)
}

// bodyStart is the first line of a body, enough to tell an ingress error
// from the app's own page.
func bodyStart(body io.Reader) string {
	start, _ := io.ReadAll(io.LimitReader(body, 512))
	line := excerpt.FirstLine(string(start))
	if len(line) > 300 {
		line = line[:300] + "..."
	}
	return line
}

func statusList(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, ", ")
}
