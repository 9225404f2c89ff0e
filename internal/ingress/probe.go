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
	// Progress, when set, receives a line each time the answer changes,
	// and again now and then while it does not (see poll).
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
	res := ProbeResult{URL: ing.BaseURL() + opts.Path}
	client := *ing.HTTPClient()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := poll{what: res.URL, label: "GET " + res.URL, accepting: " (accepting " + statusList(opts.Accept) + ")",
		timeout: opts.Timeout, interval: opts.Interval, progress: opts.Progress}
	var err error
	res.Attempts, res.Elapsed, err = p.run(ctx, func(ctx context.Context) attempt {
		status, loc, state, body := probeOnce(ctx, &client, res.URL)
		if loc != "" {
			state += " -> " + loc
		}
		if slices.Contains(opts.Accept, status) {
			res.Status, res.Location = status, loc
			return attempt{ready: true, state: state, heard: true}
		}
		if body != "" {
			state += " (" + body + ")"
		}
		return attempt{state: state, heard: status != 0}
	})
	return res, err
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
