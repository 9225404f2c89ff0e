package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// urlUserinfo matches the userinfo of a URL in free text: a scheme, "://",
// then everything up to the last "@" before the host ends. Quotes,
// brackets and white space end it, so text around a URL is not eaten.
var urlUserinfo = regexp.MustCompile("([A-Za-z][A-Za-z0-9+.-]*://)([^\\s/?#\"'`<>\\\\]*)@")

// URLCredentials strips credentials from every URL in s
// ("https://user:token@host/x" becomes "https://***@host/x"). A user name
// alone is a credential too, except in an ssh URL (ssh://git@host/x),
// where it is the account and a token cannot go: a forge token is often
// given as the user name of an https URL.
func URLCredentials(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return urlUserinfo.ReplaceAllStringFunc(s, func(m string) string {
		sub := urlUserinfo.FindStringSubmatch(m)
		scheme, info := sub[1], sub[2]
		if isSSH(scheme) && !strings.Contains(info, ":") {
			return m
		}
		return scheme + Mask + "@"
	})
}

func isSSH(scheme string) bool {
	s := strings.ToLower(strings.TrimSuffix(scheme, "://"))
	return s == "ssh" || s == "git+ssh" || s == "ssh+git"
}

// URLSecrets returns the credentials a URL carries (its password, and the
// user name where URLCredentials strips it), to register for masking in
// case the URL is quoted in a way URLCredentials does not recognise.
func URLSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return nil
	}
	var out []string
	pw, hasPW := u.User.Password()
	if hasPW && pw != "" {
		out = append(out, pw, url.QueryEscape(pw))
	}
	if name := u.User.Username(); name != "" && (hasPW || !isSSH(u.Scheme+"://")) {
		out = append(out, name)
	}
	return out
}
