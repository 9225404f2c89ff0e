package ingress

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// middleware wraps the handler that comes after it, as a Traefik
// middleware does: the router's first middleware sees the request first.
type middleware func(next http.Handler) http.Handler

// Headers the path middlewares add, as Traefik's do.
const (
	forwardedPrefixHeader = "X-Forwarded-Prefix"
	replacedPathHeader    = "X-Replaced-Path"
)

// maxChainDepth stops a chain that includes itself (Traefik refuses it).
const maxChainDepth = 10

// mwBuilder builds a router's middlewares from the app's definitions.
// What it cannot apply is noted, never silently dropped.
type mwBuilder struct {
	defs  map[string]recipe.Middleware
	notes []string
}

func (b *mwBuilder) note(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

// build returns the middlewares of a router, in order. scheme is the
// scheme requests reach the router with (redirects compare against it).
func (b *mwBuilder) build(router string, refs []string, scheme string) []middleware {
	return b.resolve(router, refs, scheme, 0)
}

func (b *mwBuilder) resolve(router string, refs []string, scheme string, depth int) []middleware {
	var out []middleware
	for _, ref := range refs {
		name, provider := recipe.SplitProvider(ref)
		if provider != "" && provider != "docker" && provider != "swarm" {
			b.note("router %s: middleware %s is defined by Traefik's %s provider, which the recipe cannot show: not applied", router, ref, provider)
			continue
		}
		def, ok := b.defs[name]
		if !ok {
			b.note("router %s: middleware %s is not declared by any service of this recipe (another stack may declare it): not applied", router, ref)
			continue
		}
		if def.Type == "chain" {
			if depth >= maxChainDepth {
				b.note("router %s: chain %s nests more than %d deep (a loop?): not applied", router, name, maxChainDepth)
				continue
			}
			out = append(out, b.resolve(router, splitList(def.Options["middlewares"]), scheme, depth+1)...)
			continue
		}
		m, err := b.one(def, scheme)
		switch {
		case err != nil:
			b.note("router %s: middleware %s (%s): %v: not applied", router, name, def.Type, err)
		case m != nil:
			out = append(out, m)
		}
	}
	return out
}

// one builds a middleware of a type that changes the request or the
// answer before the app; other types are noted and passed over.
func (b *mwBuilder) one(def recipe.Middleware, scheme string) (middleware, error) {
	o := def.Options
	switch def.Type {
	case "stripprefix":
		return stripPrefix(splitList(o["prefixes"]), isTrue(o["forceslash"])), nil
	case "stripprefixregex":
		return stripPrefixRegex(splitList(o["regex"]))
	case "addprefix":
		if o["prefix"] == "" {
			return nil, fmt.Errorf("prefix cannot be empty")
		}
		return addPrefix(o["prefix"]), nil
	case "replacepath":
		return replacePath(o["path"]), nil
	case "replacepathregex":
		return replacePathRegex(strings.TrimSpace(o["regex"]), strings.TrimSpace(o["replacement"]))
	case "redirectscheme":
		return redirectScheme(o, scheme)
	case "redirectregex":
		return redirectRegex(o, scheme)
	case "headers":
		return b.headers(def)
	case "basicauth":
		return b.basicAuth(def)
	}
	b.note("middleware %s (%s) does not change what the app is asked or answers in a test run: not applied", def.Name, def.Type)
	return nil, nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func isTrue(v string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	return err == nil && b
}

func ensureLeadingSlash(s string) string {
	if s == "" || s[0] == '/' {
		return s
	}
	return "/" + s
}

// encodedLen is how many bytes of an escaped path spell the first n
// characters of its unescaped form.
func encodedLen(raw string, n int) int {
	i := 0
	for d := 0; i < len(raw) && d < n; d++ {
		if raw[i] == '%' && i+2 < len(raw) {
			i += 3
		} else {
			i++
		}
	}
	return i
}

// sanitized applies Traefik's check after a path rewrite: a path that
// cleaning would change (dot segments) is refused with 400.
func sanitized(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if p == "" {
		return true
	}
	r.URL = r.URL.JoinPath()
	if r.URL.Path != p {
		http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		return false
	}
	return true
}

func stripPrefix(prefixes []string, forceSlash bool) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, p := range prefixes {
				if !strings.HasPrefix(r.URL.Path, p) {
					continue
				}
				rest := strings.TrimPrefix(r.URL.Path, p)
				rawRest := ""
				if r.URL.RawPath != "" {
					rawRest = r.URL.RawPath[encodedLen(r.URL.RawPath, len(p)):]
				}
				if forceSlash {
					rest, rawRest = "/"+strings.TrimPrefix(rest, "/"), "/"+strings.TrimPrefix(rawRest, "/")
				}
				r.URL.Path = ensureLeadingSlash(rest)
				if r.URL.RawPath != "" {
					r.URL.RawPath = ensureLeadingSlash(rawRest)
				}
				if !sanitized(w, r) {
					return
				}
				r.Header.Add(forwardedPrefixHeader, p)
				break
			}
			next.ServeHTTP(w, r)
		})
	}
}

func stripPrefixRegex(exprs []string) (middleware, error) {
	var res []*regexp.Regexp
	for _, e := range exprs {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, err
		}
		res = append(res, re)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, re := range res {
				m := re.FindString(r.URL.Path)
				if m == "" || !strings.HasPrefix(r.URL.Path, m) {
					continue
				}
				r.Header.Add(forwardedPrefixHeader, m)
				r.URL.Path = ensureLeadingSlash(strings.Replace(r.URL.Path, m, "", 1))
				if r.URL.RawPath != "" {
					r.URL.RawPath = ensureLeadingSlash(r.URL.RawPath[encodedLen(r.URL.RawPath, len(m)):])
				}
				if !sanitized(w, r) {
					return
				}
				break
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

func addPrefix(prefix string) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.URL.Path = ensureLeadingSlash(prefix + r.URL.Path)
			if r.URL.RawPath != "" {
				r.URL.RawPath = ensureLeadingSlash(prefix + r.URL.RawPath)
			}
			next.ServeHTTP(w, r)
		})
	}
}

func replacePath(path string) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Add(replacedPathHeader, r.URL.EscapedPath())
			p, err := url.PathUnescape(path)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			r.URL.Path, r.URL.RawPath = p, path
			next.ServeHTTP(w, r)
		})
	}
}

func replacePathRegex(expr, replacement string) (middleware, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cur := r.URL.EscapedPath()
			if re.MatchString(cur) {
				r.Header.Add(replacedPathHeader, cur)
				raw := re.ReplaceAllString(cur, replacement)
				p, err := url.PathUnescape(raw)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				r.URL.Path, r.URL.RawPath = p, raw
				if !sanitized(w, r) {
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// redirect answers a redirect to the URL that replacing re's matches in
// the request's URL gives, when it differs from it, as Traefik's redirect
// middlewares do: 302 (307 for other methods than GET), 301 (308) when
// permanent, or the configured status.
func redirect(re *regexp.Regexp, replacement string, permanent bool, status int, rawURL func(*http.Request) string) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			old := rawURL(r)
			if !re.MatchString(old) {
				next.ServeHTTP(w, r)
				return
			}
			nu := re.ReplaceAllString(old, replacement)
			u, err := url.Parse(nu)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			if nu == old {
				next.ServeHTTP(w, r)
				return
			}
			code := status
			if code == 0 {
				code = http.StatusFound
				if r.Method != http.MethodGet {
					code = http.StatusTemporaryRedirect
				}
				if permanent {
					code = http.StatusMovedPermanently
					if r.Method != http.MethodGet {
						code = http.StatusPermanentRedirect
					}
				}
			}
			w.Header().Set("Location", u.String())
			w.WriteHeader(code)
			_, _ = w.Write([]byte(http.StatusText(code)))
		})
	}
}

// requestURL is the URL the client asked for, as Traefik rebuilds it:
// the entry scheme, the Host header (with its port), the request URI.
func requestURL(scheme string, dropDefaultPort bool) func(*http.Request) string {
	return func(r *http.Request) string {
		host, port := r.Host, ""
		if h, p, err := net.SplitHostPort(r.Host); err == nil {
			host, port = h, ":"+p
		}
		if dropDefaultPort && (scheme == "http" && port == ":80" || scheme == "https" && port == ":443") {
			port = ""
		}
		return scheme + "://" + host + port + r.URL.RequestURI()
	}
}

func redirectRegex(o map[string]string, scheme string) (middleware, error) {
	re, err := regexp.Compile(o["regex"])
	if err != nil {
		return nil, err
	}
	status, _ := strconv.Atoi(o["statuscode"])
	return redirect(re, o["replacement"], isTrue(o["permanent"]), status, requestURL(scheme, false)), nil
}

var schemeURLRe = regexp.MustCompile(`^(https?:\/\/)?(\[[\w:.]+\]|[\w\._-]+)?(:\d+)?(.*)$`)

func redirectScheme(o map[string]string, scheme string) (middleware, error) {
	to := o["scheme"]
	if to == "" {
		return nil, fmt.Errorf("no target scheme")
	}
	port := ""
	if p := o["port"]; p != "" && !(to == "http" && p == "80" || to == "https" && p == "443") {
		port = ":" + p
	}
	status := 0
	if isTrue(o["forcepermanentredirect"]) {
		status = http.StatusPermanentRedirect
	}
	return redirect(schemeURLRe, to+"://${2}"+port+"${4}", isTrue(o["permanent"]), status, requestURL(scheme, true)), nil
}

// headers applies a headers middleware's custom request and response
// headers (an empty value removes the header) and the security headers
// that are plain response headers.
func (b *mwBuilder) headers(def recipe.Middleware) (middleware, error) {
	req, resp := map[string]string{}, map[string]string{}
	var ignored []string
	for k, v := range def.Options {
		opt, name, _ := strings.Cut(k, ".")
		switch opt {
		case "customrequestheaders":
			req[name] = v
		case "customresponseheaders":
			resp[name] = v
		case "framedeny":
			if isTrue(v) {
				resp["X-Frame-Options"] = "DENY"
			}
		case "customframeoptionsvalue":
			resp["X-Frame-Options"] = v
		case "contenttypenosniff":
			if isTrue(v) {
				resp["X-Content-Type-Options"] = "nosniff"
			}
		case "browserxssfilter":
			if isTrue(v) {
				resp["X-XSS-Protection"] = "1; mode=block"
			}
		case "referrerpolicy":
			resp["Referrer-Policy"] = v
		case "contentsecuritypolicy":
			resp["Content-Security-Policy"] = v
		case "permissionspolicy":
			resp["Permissions-Policy"] = v
		default:
			ignored = append(ignored, k)
		}
	}
	if len(ignored) > 0 {
		b.note("middleware %s (headers): options %s are not applied by the direct ingress", def.Name, strings.Join(slices.Sorted(slices.Values(ignored)), ", "))
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range req {
				switch {
				case v == "":
					r.Header.Del(k)
				case strings.EqualFold(k, "Host"):
					r.Host = v
				default:
					r.Header.Set(k, v)
				}
			}
			next.ServeHTTP(&headerWriter{ResponseWriter: w, set: resp}, r)
		})
	}, nil
}

// headerWriter changes the answer's headers just before they are sent.
type headerWriter struct {
	http.ResponseWriter
	set  map[string]string
	done bool
}

func (h *headerWriter) WriteHeader(code int) {
	if !h.done {
		h.done = true
		for k, v := range h.set {
			if v == "" {
				h.Header().Del(k)
			} else {
				h.Header().Set(k, v)
			}
		}
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerWriter) Write(p []byte) (int, error) {
	if !h.done {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(p)
}

// Flush keeps streamed answers streaming through the wrapper.
func (h *headerWriter) Flush() {
	if f, ok := h.ResponseWriter.(http.Flusher); ok {
		if !h.done {
			h.WriteHeader(http.StatusOK)
		}
		f.Flush()
	}
}

func (h *headerWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }
