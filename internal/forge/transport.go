package forge

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// checkURL checks a forge's URL before a token is sent to it, and returns
// its origin (scheme://host[:port]). Plain HTTP would carry the token over
// the network in the clear: it is allowed only to a loopback address or
// when the operator says so; credentials in the URL are refused, as they
// would be sent and shown in errors.
func checkURL(kind, what, raw string, allowHTTP bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s: %s %q is not an http(s) URL of the forge (e.g. https://git.coopcloud.tech)", kind, what, raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("%s: %s %s://%s: credentials in the URL are refused; the token comes from its variable (--token-env)", kind, what, u.Scheme, u.Host)
	}
	if u.Scheme == "http" && !allowHTTP && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("%s: %s %s is plain HTTP: the token would cross the network unencrypted; use https://, or allow it with --forge-allow-http (action input forge-allow-http) on a network you trust", kind, what, raw)
	}
	return origin(u), nil
}

// gitAuth is the token as git's HTTP password of user, for gitURL: a
// plain http:// URL is checked as the forge's own; other transports (ssh,
// file) get no credentials, which are not theirs.
func gitAuth(o Options, user, gitURL string) (transport.AuthMethod, error) {
	if !strings.HasPrefix(gitURL, "http://") && !strings.HasPrefix(gitURL, "https://") {
		return nil, nil
	}
	if _, err := checkURL(o.Kind, "clone URL", gitURL, o.AllowHTTP); err != nil {
		return nil, err
	}
	return &githttp.BasicAuth{Username: user, Password: o.Token}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// origin is scheme://host:port with the default port made explicit, so
// that https://h and https://h:443 compare equal.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// httpClient is the client every request to the forge goes through: the
// base client's transport wrapped with retries (each attempt bounded by
// the base client's Timeout or o.AttemptTimeout), and redirects kept on
// the forge's origin.
func httpClient(o Options, forgeOrigin string) *http.Client {
	var hc http.Client
	if o.HTTPClient != nil {
		hc = *o.HTTPClient
	}
	timeout := o.AttemptTimeout
	if hc.Timeout > 0 {
		timeout = hc.Timeout
	}
	if timeout == 0 {
		timeout = DefaultAttemptTimeout
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Timeout = 0 // per attempt, in retryTransport
	hc.Transport = &retryTransport{base: base, policy: o.Retry.withDefaults(), timeout: timeout, log: o.Log}
	hc.CheckRedirect = sameOrigin(forgeOrigin, hc.CheckRedirect)
	return &hc
}

// sameOrigin refuses a redirect away from the forge's origin. The SDKs
// put the token on every request they send, the redirected ones included
// (go-github sets it in its transport, below net/http's own stripping of
// credentials on a cross-domain redirect, which moreover keeps them for a
// subdomain), so a forge, or whatever answers for it, could otherwise send
// the token anywhere. next, when set, is the base client's own policy.
func sameOrigin(forgeOrigin string, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if to := origin(req.URL); to != forgeOrigin {
			return &RedirectError{From: via[0].Method + " " + via[0].URL.Redacted(), To: to, Forge: forgeOrigin}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return fmt.Errorf("stopped after 10 redirects")
		}
		return nil
	}
}

// RedirectError is a redirect away from the forge, refused.
type RedirectError struct{ From, To, Forge string }

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the forge redirected %s to %s: not followed, the token goes only to %s (check --forge-url)", e.From, e.To, e.Forge)
}
