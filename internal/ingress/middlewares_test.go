package ingress

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// routed is a router on its own service with middlewares, plus the
// middleware labels given.
func routed(name, rule, mws string, defs ...string) []string {
	return router(name, rule, append([]string{"traefik.http.routers." + name + ".middlewares=" + mws}, defs...)...)
}

func basic(user, pass string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
}

// Each middleware that changes the request or the answer, as Traefik's
// middleware documentation states it: request -> what the backend
// receives, or what the client gets.
func TestDirectMiddlewares(t *testing.T) {
	const mw = "traefik.http.middlewares."
	app := labelled(t, map[string][]string{
		"strip": routed("strip", "Host(`app.test`) && PathPrefix(`/x`)", "strip-x",
			mw+"strip-x.stripprefix.prefixes=/y,/x"),
		"stripre": routed("stripre", "Host(`app.test`) && PathPrefix(`/t/`)", "stripre",
			mw+"stripre.stripprefixregex.regex=/t/[a-z0-9]+"),
		"add": routed("add", "Host(`app.test`) && PathPrefix(`/add`)", "addapi",
			mw+"addapi.addprefix.prefix=/api"),
		"replace": routed("replace", "Host(`app.test`) && PathPrefix(`/old`)", "rp",
			mw+"rp.replacepath.path=/new"),
		"replacere": routed("replacere", "Host(`app.test`) && PathPrefix(`/foo`)", "rpre",
			mw+"rpre.replacepathregex.regex=^/foo/(.*)", mw+"rpre.replacepathregex.replacement=/bar/$1"),
		// Co-op Cloud routers listen on web-secure (HTTPS): an https redirect
		// there is a no-op, on the plain web entrypoint it redirects.
		"secure": routed("secure", "Host(`app.test`) && PathPrefix(`/secure`)", "tohttps@docker",
			"traefik.http.routers.secure.entrypoints=web-secure",
			mw+"tohttps.redirectscheme.scheme=https", mw+"tohttps.redirectscheme.permanent=true"),
		"plain": routed("plain", "Host(`app.test`) && PathPrefix(`/plain`)", "tohttps@swarm",
			"traefik.http.routers.plain.entrypoints=web"),
		"porty": routed("porty", "Host(`app.test`) && PathPrefix(`/porty`)", "to8443",
			mw+"to8443.redirectscheme.scheme=https", mw+"to8443.redirectscheme.port=8443"),
		"alias": routed("alias", "Host(`app.test`) && PathPrefix(`/alias`)", "aliases",
			"traefik.http.routers.alias.tls=true",
			mw+"aliases.redirectregex.regex=^https://app\\.test/alias/(.*)", mw+"aliases.redirectregex.replacement=https://app.test/moved/${1}"),
		"hdr": routed("hdr", "Host(`app.test`) && PathPrefix(`/hdr`)", "hdrs",
			mw+"hdrs.headers.customrequestheaders.X-Custom=added", mw+"hdrs.headers.customrequestheaders.X-Remove=",
			mw+"hdrs.headers.customresponseheaders.Server=", mw+"hdrs.headers.customresponseheaders.X-Served-By=traefik",
			mw+"hdrs.headers.framedeny=true"),
		"proto": routed("proto", "Host(`app.test`) && PathPrefix(`/proto`)", "https-proto",
			mw+"https-proto.headers.customrequestheaders.X-Forwarded-Proto=https"),
		"auth": routed("auth", "Host(`app.test`) && PathPrefix(`/auth`)", "users",
			mw+"users.basicauth.users=alice:$apr1$saltsalt$LrttParrLPdxvgutaSXWJ0,bob:$2b$04$HpCh3h5TzjYMV5daqISr5OkBdQNn6FThkJk9NXAiW7CWM3w1Ec0W2,carol:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=",
			mw+"users.basicauth.realm=members", mw+"users.basicauth.headerfield=X-User", mw+"users.basicauth.removeheader=true"),
		"chained": routed("chained", "Host(`app.test`) && PathPrefix(`/c`)", "both",
			mw+"both.chain.middlewares=strip-c,addv1", mw+"strip-c.stripprefix.prefixes=/c", mw+"addv1.addprefix.prefix=/v1"),
	})
	d := newDirect(t, app, loopback())
	for _, tc := range []struct {
		method, url string
		header      http.Header
		// what the backend receives (service, path, request URI, headers)
		service, path, uri string
		headers            map[string]string
		// or what the client gets
		status   int
		location string
		respHdr  map[string]string
	}{
		// stripprefix: the first prefix that matches is removed; X-Forwarded-Prefix says which.
		{method: "GET", url: "http://app.test/x/items?q=1", service: "strip", path: "/items", uri: "/items?q=1", headers: map[string]string{"X-Forwarded-Prefix": "/x"}},
		{method: "GET", url: "http://app.test/x", service: "strip", path: "/", uri: "/"},
		{method: "GET", url: "http://app.test/xy", service: "strip", path: "/y", uri: "/y"},
		{method: "GET", url: "http://app.test/x/a%2Fb", service: "strip", uri: "/a%2Fb"},
		// stripprefixregex
		{method: "GET", url: "http://app.test/t/abc123/page", service: "stripre", path: "/page", headers: map[string]string{"X-Forwarded-Prefix": "/t/abc123"}},
		// addprefix
		{method: "GET", url: "http://app.test/add/x", service: "add", path: "/api/add/x"},
		// replacepath: the whole path; X-Replaced-Path keeps the original
		{method: "GET", url: "http://app.test/old/page?k=v", service: "replace", path: "/new", uri: "/new?k=v", headers: map[string]string{"X-Replaced-Path": "/old/page"}},
		// replacepathregex
		{method: "GET", url: "http://app.test/foo/a/b", service: "replacere", path: "/bar/a/b", headers: map[string]string{"X-Replaced-Path": "/foo/a/b"}},
		{method: "GET", url: "http://app.test/foobar", service: "replacere", path: "/foobar"}, // no match: unchanged
		// redirectscheme
		{method: "GET", url: "http://app.test/secure/page", service: "secure", path: "/secure/page"},
		{method: "GET", url: "http://app.test/plain/page?a=1", status: 301, location: "https://app.test/plain/page?a=1"},
		{method: "POST", url: "http://app.test/plain/form", status: 308, location: "https://app.test/plain/form"},
		{method: "GET", url: "http://app.test/porty", status: 302, location: "https://app.test:8443/porty"},
		// redirectregex (go-ssb-room's alias redirect shape)
		{method: "GET", url: "http://app.test/alias/bob", status: 302, location: "https://app.test/moved/bob"},
		{method: "PUT", url: "http://app.test/alias/bob", status: 307, location: "https://app.test/moved/bob"},
		// headers
		{method: "GET", url: "http://app.test/hdr", header: http.Header{"X-Remove": {"gone"}}, service: "hdr", path: "/hdr",
			headers: map[string]string{"X-Custom": "added", "X-Remove": ""},
			respHdr: map[string]string{"Server": "", "X-Served-By": "traefik", "X-Frame-Options": "DENY"}},
		// the proxy sets X-Forwarded-*, whatever the client says; a headers middleware has the last word
		{method: "GET", url: "http://app.test/hdr", header: http.Header{"X-Forwarded-Proto": {"gopher"}}, service: "hdr", headers: map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-Host": "app.test"}},
		{method: "GET", url: "http://app.test/proto", service: "proto", headers: map[string]string{"X-Forwarded-Proto": "https"}},
		// basicauth: apr1, bcrypt and SHA1 hashes; the header field names the user
		{method: "GET", url: "http://app.test/auth", status: 401, respHdr: map[string]string{"WWW-Authenticate": `Basic realm="members"`}},
		{method: "GET", url: "http://app.test/auth", header: basic("alice", "wrong"), status: 401},
		{method: "GET", url: "http://app.test/auth", header: basic("mallory", "secret"), status: 401},
		{method: "GET", url: "http://app.test/auth", header: basic("alice", "secret"), service: "auth", headers: map[string]string{"X-User": "alice", "Authorization": ""}},
		{method: "GET", url: "http://app.test/auth", header: basic("bob", "secret"), service: "auth", headers: map[string]string{"X-User": "bob"}},
		{method: "GET", url: "http://app.test/auth", header: basic("carol", "secret"), service: "auth", headers: map[string]string{"X-User": "carol"}},
		// chain: its middlewares in order
		{method: "GET", url: "http://app.test/c/items", service: "chained", path: "/v1/items"},
	} {
		name := tc.method + " " + tc.url
		resp, s := exchange(t, d, tc.method, tc.url, tc.header)
		if tc.service != "" {
			if s == nil || s.Service != tc.service {
				t.Errorf("%s: got %s %+v, want it to reach %s", name, resp.Status, s, tc.service)
				continue
			}
			if tc.path != "" && s.Path != tc.path || tc.uri != "" && s.URI != tc.uri {
				t.Errorf("%s: backend got path %q uri %q, want %q %q", name, s.Path, s.URI, tc.path, tc.uri)
			}
			if s.Host != "app.test" {
				t.Errorf("%s: backend got host %q", name, s.Host)
			}
			for k, v := range tc.headers {
				if s.Headers[k] != v {
					t.Errorf("%s: backend got %s=%q, want %q", name, k, s.Headers[k], v)
				}
			}
		} else {
			if s != nil || resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
				t.Errorf("%s: got %s Location %q (backend %+v), want %d %q", name, resp.Status, resp.Header.Get("Location"), s, tc.status, tc.location)
			}
		}
		for k, v := range tc.respHdr {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: answer has %s=%q, want %q", name, k, got, v)
			}
		}
	}
}

// What the ingress cannot do as Traefik would is said, naming the router
// and middleware: the file provider's, undeclared ones, users files,
// types that do not change the request.
func TestDirectMiddlewareNotes(t *testing.T) {
	const mw = "traefik.http.middlewares."
	app := labelled(t, map[string][]string{
		"app": routed("app", "Host(`app.test`)", "security@file,elsewhere,ratelimited,guarded,sslonly",
			mw+"ratelimited.ratelimit.average=10",
			mw+"guarded.basicauth.usersfile=/run/secrets/usersfile",
			mw+"sslonly.headers.stsseconds=31536000"),
		"locked": routed("locked", "Host(`app.test`) && PathPrefix(`/locked`)", "locked",
			mw+"locked.basicauth.users=alice:$apr1$saltsalt$LrttParrLPdxvgutaSXWJ0"),
	})
	d := newDirect(t, app, loopback())
	notes := strings.Join(d.(*direct).Notes(), "\n")
	for _, want := range []string{
		"router app: middleware security@file is defined by Traefik's file provider",
		"router app: middleware elsewhere is not declared by any service of this recipe",
		"middleware ratelimited (ratelimit) does not change what the app is asked",
		"middleware guarded (basicauth): its users are in /run/secrets/usersfile",
		"middleware sslonly (headers): options stsseconds are not applied",
		"middleware locked (basicauth) answers 401 to requests without its users' credentials",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	// None of them stops the app from being served.
	if _, s := exchange(t, d, "GET", "http://app.test/", nil); s == nil || s.Service != "app" {
		t.Errorf("the app is not served: %+v", s)
	}
}

func TestCheckHtpasswd(t *testing.T) {
	// Hashes made by openssl passwd (-apr1, -1) and libxcrypt (bcrypt).
	for _, tc := range []struct {
		hash, pass string
		ok         bool
	}{
		{"$apr1$saltsalt$LrttParrLPdxvgutaSXWJ0", "secret", true},
		{"$apr1$saltsalt$LrttParrLPdxvgutaSXWJ0", "Secret", false},
		{"$1$abcdefgh$yTpYrEJJOuAsO2Aee15/D1", "pass word", true},
		{"$2b$04$HpCh3h5TzjYMV5daqISr5OkBdQNn6FThkJk9NXAiW7CWM3w1Ec0W2", "secret", true},
		{"$2y$04$HpCh3h5TzjYMV5daqISr5OkBdQNn6FThkJk9NXAiW7CWM3w1Ec0W2", "secret", true}, // htpasswd -B writes $2y$
		{"$2b$04$HpCh3h5TzjYMV5daqISr5OkBdQNn6FThkJk9NXAiW7CWM3w1Ec0W2", "secrets", false},
		{"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret", true},
		{"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "", false},
		{"secret", "secret", false}, // plain text is no hash Traefik accepts
		{"", "", false},
	} {
		if got := checkHtpasswd(tc.pass, tc.hash); got != tc.ok {
			t.Errorf("checkHtpasswd(%q, %q) = %v", tc.pass, tc.hash, got)
		}
	}
}
