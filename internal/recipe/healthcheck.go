package recipe

import (
	"net/url"
	"regexp"
	"strings"
)

// localURLRe finds an http URL to the container itself in a healthcheck.
var localURLRe = regexp.MustCompile(`https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::\d+)?[^\s'"` + "`" + `;|&<>()]*`)

// LocalURL returns the first http URL to the container itself with a path
// other than "/" that an enabled healthcheck asks for (wget or curl of
// http://127.0.0.1:8080/health): the app's own word for "I am up".
func (h *Healthcheck) LocalURL() (*url.URL, bool) {
	if h == nil || h.Disabled {
		return nil, false
	}
	for _, m := range localURLRe.FindAllString(strings.Join(h.Test, " "), -1) {
		u, err := url.Parse(m)
		if err != nil || u.Path == "" || u.Path == "/" {
			continue
		}
		u.RawQuery, u.Fragment = "", ""
		return u, true
	}
	return nil, false
}
