package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// A FetchRequest is a request the page that the browser shows sends with
// its own fetch(), as the app's frontend would: same-origin, with the
// page's cookies.
type FetchRequest struct {
	Method string // GET when empty
	Path   string // a path of the page's origin, or a URL
	// JSON, when not nil, is sent as the body, encoded as JSON, with
	// Content-Type application/json.
	JSON any
	// Body, when JSON is nil and Body is not empty, is sent as it is.
	Body string
	// Headers are sent as given (after Content-Type, so they may replace it).
	Headers map[string]string
	// CookieHeaders copies the value of a cookie of the page into a
	// request header, header name to cookie name: the double-submit CSRF
	// check frontends pass (Django's csrftoken cookie in X-CSRFToken, for
	// one). A cookie the page does not have sends an empty header.
	CookieHeaders map[string]string
}

// A FetchResponse is what the page's fetch() got.
type FetchResponse struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// Fetch sends req from the page the browser shows and returns the answer;
// an answer with an error status does not fail the test, a fetch that
// cannot be sent (a network error, a CORS refusal) does.
func (b *Browser) Fetch(t testing.TB, req FetchRequest) FetchResponse {
	t.Helper()
	js, err := req.script()
	if err != nil {
		t.Fatalf("harness: browser: fetch %s: %v", req.Path, err)
	}
	what := req.method() + " " + req.Path + " from the page"
	var out string
	b.Do(t, what, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		v, err := chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise)(ctx, tg)
		out = v
		return chromedp.Void{}, err
	})
	var res FetchResponse
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("harness: browser: %s: %v (%q)", what, err, out)
	}
	return res
}

func (req FetchRequest) method() string {
	if req.Method == "" {
		return "GET"
	}
	return req.Method
}

// script is the page's code for req: every value goes in as JSON, so
// nothing in it is read as code.
func (req FetchRequest) script() (string, error) {
	headers := map[string]string{}
	if req.JSON != nil {
		headers["Content-Type"] = "application/json"
	}
	var body any // null: no body
	if req.JSON != nil {
		data, err := json.Marshal(req.JSON)
		if err != nil {
			return "", fmt.Errorf("encode the body: %w", err)
		}
		body = string(data)
	} else if req.Body != "" {
		body = req.Body
	}
	for k, v := range req.Headers {
		headers[k] = v
	}
	cookieHeaders := req.CookieHeaders
	if cookieHeaders == nil {
		cookieHeaders = map[string]string{}
	}
	args, err := json.Marshal(map[string]any{
		"path": req.Path, "method": req.method(), "headers": headers, "body": body, "cookieHeaders": cookieHeaders,
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`(async (a) => {
  const cookie = (name) => {
    for (const c of document.cookie.split(";")) {
      const i = c.indexOf("=");
      if (i >= 0 && c.slice(0, i).trim() === name) return decodeURIComponent(c.slice(i + 1).trim());
    }
    return "";
  };
  for (const [header, name] of Object.entries(a.cookieHeaders)) a.headers[header] = cookie(name);
  const init = {method: a.method, credentials: "same-origin", headers: a.headers};
  if (a.body !== null) init.body = a.body;
  const r = await fetch(a.path, init);
  return JSON.stringify({status: r.status, body: await r.text()});
})(%s)`, args), nil
}
