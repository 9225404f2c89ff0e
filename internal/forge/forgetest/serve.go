package forgetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// rateLimit is the primary rate limit of an authenticated token, per hour.
const rateLimit = 5000

// serve logs the request, gives a queued fault, checks the token and
// routes the request.
func (g *GitHub) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	g.mu.Lock()
	g.requests = append(g.requests, key+"?"+r.URL.RawQuery)
	var flt *Fault
	if q := g.faults[key]; len(q) > 0 {
		flt = &q[0]
		g.faults[key] = q[1:]
	}
	g.mu.Unlock()
	if flt != nil && flt.Delay > 0 {
		select {
		case <-time.After(flt.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if flt == nil || flt.Status == 0 {
		g.handle(w, r)
		return
	}
	if flt.Apply {
		g.handle(httptest.NewRecorder(), r)
	}
	for k, v := range flt.Header {
		w.Header().Set(k, v)
	}
	if flt.Body != "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(flt.Status)
		fmt.Fprint(w, flt.Body)
		return
	}
	writeError(w, flt.Status, flt.Message)
}

// handle answers as GitHub: 401 without a valid token, else the route's
// answer with the rate-limit headers.
func (g *GitHub) handle(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	a, ok := g.tokens[tok]
	h := w.Header()
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	reset := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	if !ok {
		// Unauthenticated requests have their own limit, per address.
		h.Set("X-RateLimit-Limit", "60")
		h.Set("X-RateLimit-Remaining", "59")
		h.Set("X-RateLimit-Reset", reset)
		writeError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	a.used++
	h.Set("X-RateLimit-Limit", strconv.Itoa(rateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(rateLimit-a.used, 0)))
	h.Set("X-RateLimit-Used", strconv.Itoa(a.used))
	h.Set("X-RateLimit-Reset", reset)
	h.Set("X-RateLimit-Resource", "core")
	g.mux.ServeHTTP(w, r.WithContext(withAccount(r.Context(), a)))
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes GitHub's error body.
func writeError(w http.ResponseWriter, status int, message string, errs ...map[string]string) {
	body := map[string]any{"message": message, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	writeJSON(w, status, body)
}

func notFound(w http.ResponseWriter) { writeError(w, http.StatusNotFound, "Not Found") }

// validationFailed is GitHub's 422 with the errors it names.
func validationFailed(w http.ResponseWriter, errs ...map[string]string) {
	writeError(w, http.StatusUnprocessableEntity, "Validation Failed", errs...)
}

// paginate cuts n items to the request's page (per_page: default 30, at
// most 100) and sets the Link header as GitHub does: prev, next, last,
// first, each the request's URL with its page replaced.
func (g *GitHub) paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := max((n+per-1)/per, 1)
	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, g.URL, r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo = min((page-1)*per, n)
	return lo, min(lo+per, n)
}
