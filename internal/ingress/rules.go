package ingress

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// reqFacts is what a rule reads of a request, computed once per request.
type reqFacts struct {
	host   string // lower case, no port, no trailing dot
	path   string // Traefik's routing path: the escaped path with only unreserved characters decoded
	method string
	header http.Header
	query  url.Values
	client netip.Addr
}

func factsOf(r *http.Request) reqFacts {
	host, _ := splitHost(r.Host)
	f := reqFacts{host: host, path: routingPath(r.URL), method: r.Method, header: r.Header, query: r.URL.Query()}
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		f.client, _ = netip.ParseAddr(h)
	}
	f.client = f.client.Unmap()
	return f
}

// reserved are the percent-encodings Traefik keeps encoded in the path it
// routes on (RFC 3986 reserved characters and %): PathPrefix(`/a b`)
// matches /a%20b, but %2F stays a %2F, not a path separator.
var reserved = map[string]bool{
	"%3A": true, "%2F": true, "%3F": true, "%23": true, "%5B": true, "%5D": true, "%40": true,
	"%21": true, "%24": true, "%26": true, "%27": true, "%28": true, "%29": true, "%2A": true,
	"%2B": true, "%2C": true, "%3B": true, "%3D": true, "%25": true,
}

func routingPath(u *url.URL) string {
	esc := u.EscapedPath()
	var b strings.Builder
	for i := 0; i < len(esc); i++ {
		if esc[i] != '%' || i+2 >= len(esc) {
			b.WriteByte(esc[i])
			continue
		}
		enc := strings.ToUpper(esc[i : i+3])
		if dec, err := url.PathUnescape(enc); err == nil && !reserved[enc] {
			b.WriteString(dec)
		} else {
			b.WriteString(esc[i : i+3])
		}
		i += 2
	}
	return b.String()
}

// ruleMatcher evaluates a compiled rule against a request.
type ruleMatcher func(f *reqFacts) bool

// compileRule compiles a parsed rule in a syntax (recipe.RuleV2, RuleV3,
// or RuleAuto: each matcher read by the form of its arguments).
func compileRule(e *recipe.RuleExpr, syntax string) (ruleMatcher, error) {
	var m ruleMatcher
	switch e.Op {
	case "&&", "||":
		l, err := compileRule(e.Left, syntax)
		if err != nil {
			return nil, err
		}
		r, err := compileRule(e.Right, syntax)
		if err != nil {
			return nil, err
		}
		if e.Op == "&&" {
			m = func(f *reqFacts) bool { return l(f) && r(f) }
		} else {
			m = func(f *reqFacts) bool { return l(f) || r(f) }
		}
	default:
		var err error
		if m, err = compileMatcher(e, syntax); err != nil {
			return nil, fmt.Errorf("%s(%s): %w", e.Matcher, strings.Join(e.Args, ", "), err)
		}
	}
	if e.Not {
		inner := m
		m = func(f *reqFacts) bool { return !inner(f) }
	}
	return m, nil
}

// any matches when one of the argument matchers does (v2 matchers with
// several arguments are alternatives).
func anyOf(ms []func(string) bool, get func(f *reqFacts) string) ruleMatcher {
	return func(f *reqFacts) bool {
		v := get(f)
		return slices.ContainsFunc(ms, func(m func(string) bool) bool { return m(v) })
	}
}

func eachArg(args []string, build func(string) (func(string) bool, error)) ([]func(string) bool, error) {
	var out []func(string) bool
	for _, a := range args {
		m, err := build(a)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// template tells whether an argument is read as a v2 gorilla/mux template.
func template(arg, syntax string) bool {
	switch syntax {
	case recipe.RuleV2:
		return true
	case recipe.RuleV3:
		return false
	}
	return recipe.IsV2Template(arg)
}

func compileMatcher(e *recipe.RuleExpr, syntax string) (ruleMatcher, error) {
	host := func(f *reqFacts) string { return f.host }
	path := func(f *reqFacts) string { return f.path }
	switch e.Matcher {
	case "Host", "HostHeader":
		ms, err := eachArg(e.Args, func(a string) (func(string) bool, error) { return hostMatch(a), nil })
		return anyOf(ms, host), err
	case "HostRegexp":
		ms, err := eachArg(e.Args, func(a string) (func(string) bool, error) {
			re, err := hostRegexpFor(a, template(a, syntax))
			if err != nil {
				return nil, err
			}
			return re.MatchString, nil
		})
		return anyOf(ms, host), err
	case "Path", "PathPrefix":
		prefix := e.Matcher == "PathPrefix"
		ms, err := eachArg(e.Args, func(a string) (func(string) bool, error) {
			if !strings.HasPrefix(a, "/") {
				return nil, fmt.Errorf("path %q does not start with /", a)
			}
			if template(a, syntax) && recipe.IsV2Template(a) {
				re, err := templateRegexp(a, pathPart, prefix)
				if err != nil {
					return nil, err
				}
				return re.MatchString, nil
			}
			if prefix {
				return func(p string) bool { return strings.HasPrefix(p, a) }, nil
			}
			return func(p string) bool { return p == a }, nil
		})
		return anyOf(ms, path), err
	case "PathRegexp":
		re, err := regexp.Compile(e.Args[0])
		if err != nil {
			return nil, err
		}
		return func(f *reqFacts) bool { return re.MatchString(f.path) }, nil
	case "Method":
		return func(f *reqFacts) bool {
			return slices.ContainsFunc(e.Args, func(m string) bool { return strings.EqualFold(m, f.method) })
		}, nil
	case "Header", "Headers":
		key, val := http.CanonicalHeaderKey(e.Args[0]), e.Args[1]
		return func(f *reqFacts) bool { return slices.Contains(f.header[key], val) }, nil
	case "HeaderRegexp", "HeadersRegexp":
		key := http.CanonicalHeaderKey(e.Args[0])
		re, err := regexp.Compile(e.Args[1])
		if err != nil {
			return nil, err
		}
		return func(f *reqFacts) bool { return slices.ContainsFunc(f.header[key], re.MatchString) }, nil
	case "Query", "QueryRegexp":
		return queryMatcher(e, syntax)
	case "ClientIP":
		var prefixes []netip.Prefix
		for _, a := range e.Args {
			p, err := netip.ParsePrefix(a)
			if err != nil {
				addr, aerr := netip.ParseAddr(a)
				if aerr != nil {
					return nil, fmt.Errorf("%q is neither an IP nor a CIDR", a)
				}
				p = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
			}
			prefixes = append(prefixes, p.Masked())
		}
		return func(f *reqFacts) bool {
			return slices.ContainsFunc(prefixes, func(p netip.Prefix) bool { return p.Contains(f.client) })
		}, nil
	}
	return nil, fmt.Errorf("matcher %s is not supported", e.Matcher)
}

// hostMatch matches a Host argument: case-insensitive, a trailing dot on
// either side ignored, "*" for any host and a leading "*." for one label.
func hostMatch(arg string) func(string) bool {
	want := strings.TrimSuffix(strings.ToLower(arg), ".")
	return func(h string) bool {
		switch {
		case want == "*":
			return true
		case strings.HasPrefix(want, "*."):
			_, rest, ok := strings.Cut(h, ".")
			return ok && rest == want[2:]
		}
		return h == want
	}
}

// hostRegexpFor compiles a HostRegexp argument: a v2 template (anchored,
// literal outside its variables) or a v3 Go regexp (unanchored). Hosts
// are matched without regard to case.
func hostRegexpFor(arg string, tmpl bool) (*regexp.Regexp, error) {
	if tmpl {
		return templateRegexp(arg, hostPart, false)
	}
	return regexp.Compile("(?i)" + arg)
}

// queryMatcher reads v3 Query(`k`[, `v`]) / QueryRegexp(`k`[, `re`]) and
// v2 Query(`k=v`, ...) (every pair must match; a {var} value matches any).
func queryMatcher(e *recipe.RuleExpr, syntax string) (ruleMatcher, error) {
	v2 := syntax == recipe.RuleV2 || (syntax == recipe.RuleAuto && e.Matcher == "Query" && strings.Contains(e.Args[0], "=") && len(e.Args) == 1) ||
		(syntax == recipe.RuleAuto && e.Matcher == "Query" && len(e.Args) > 2)
	if v2 {
		type pair struct {
			key string
			val func(string) bool
		}
		var pairs []pair
		for _, a := range e.Args {
			k, v, _ := strings.Cut(a, "=")
			p := pair{key: k, val: func(s string) bool { return s == v }}
			if recipe.IsV2Template(v) {
				re, err := templateRegexp(v, ".*", false)
				if err != nil {
					return nil, err
				}
				p.val = re.MatchString
			}
			pairs = append(pairs, p)
		}
		return func(f *reqFacts) bool {
			for _, p := range pairs {
				if !slices.ContainsFunc(f.query[p.key], p.val) {
					return false
				}
			}
			return true
		}, nil
	}
	key := e.Args[0]
	val := func(s string) bool { return s == "" }
	if len(e.Args) == 2 {
		want := e.Args[1]
		val = func(s string) bool { return s == want }
		if e.Matcher == "QueryRegexp" {
			re, err := regexp.Compile(want)
			if err != nil {
				return nil, err
			}
			val = re.MatchString
		}
	}
	return func(f *reqFacts) bool {
		vs, ok := f.query[key]
		return ok && slices.ContainsFunc(vs, val)
	}, nil
}

// hostLeaves returns a matcher for every host the rule names outside a
// negation (Host, HostRegexp); nil when it names none.
func hostLeaves(e *recipe.RuleExpr, syntax string) []func(string) bool {
	var out []func(string) bool
	e.Walk(func(m *recipe.RuleExpr, negated bool) {
		if negated {
			return
		}
		switch m.Matcher {
		case "Host", "HostHeader":
			for _, a := range m.Args {
				out = append(out, hostMatch(a))
			}
		case "HostRegexp":
			for _, a := range m.Args {
				if re, err := hostRegexpFor(a, template(a, syntax)); err == nil {
					out = append(out, re.MatchString)
				}
			}
		}
	})
	return out
}

// restrictsPath reports whether the rule has a path matcher at all.
func restrictsPath(e *recipe.RuleExpr) bool {
	found := false
	e.Walk(func(m *recipe.RuleExpr, _ bool) {
		found = found || strings.HasPrefix(m.Matcher, "Path")
	})
	return found
}
