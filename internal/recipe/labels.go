package recipe

import (
	"sort"
	"strconv"
	"strings"
)

// Router is a traefik HTTP router declared by a service's deploy labels.
type Router struct {
	Name        string   `json:"name"`
	Rule        string   `json:"rule"`
	Hosts       []string `json:"hosts,omitempty"`
	HostRegexps []string `json:"host_regexps,omitempty"`
	Paths       []string `json:"paths,omitempty"`
	PathPrefix  []string `json:"path_prefixes,omitempty"`
	Entrypoints []string `json:"entrypoints,omitempty"`
	Service     string   `json:"service,omitempty"` // the traefik service it sends to
	Middlewares []string `json:"middlewares,omitempty"`
	// Port is the container port the router's traefik service forwards to.
	Port int `json:"port,omitempty"`
	// Priority is the router's priority label; 0 when unset, and Traefik
	// then uses the rule's length.
	Priority int `json:"priority,omitempty"`
	// RuleSyntax is the router's ruleSyntax label (v2, v3), "" when unset.
	RuleSyntax string `json:"rule_syntax,omitempty"`
	// TLS is set when the router has tls labels: it serves HTTPS.
	TLS bool `json:"tls,omitempty"`
}

// ProbePath is the path a readiness probe should ask for so that this
// router actually serves it: "/" unless the rule restricts paths.
func (r Router) ProbePath() string {
	if len(r.PathPrefix) > 0 {
		return r.PathPrefix[0]
	}
	if len(r.Paths) > 0 {
		return r.Paths[0]
	}
	return "/"
}

// Serves reports whether the router's rule names host (literally).
func (r Router) Serves(host string) bool {
	for _, h := range r.Hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// External reports whether the router sends to a service of another
// Traefik provider (api@internal, name@file), not one of the recipe's.
func (r Router) External() bool {
	_, p := SplitProvider(r.Service)
	return p != "" && p != "docker" && p != "swarm"
}

// EntryScheme is the scheme requests reach the router with: https when it
// has tls labels or listens on a secure entrypoint (Co-op Cloud's
// web-secure), else http.
func (r Router) EntryScheme() string {
	if r.TLS {
		return "https"
	}
	for _, e := range r.Entrypoints {
		e = strings.ToLower(e)
		if strings.Contains(e, "secure") || strings.Contains(e, "https") || strings.Contains(e, "443") {
			return "https"
		}
	}
	return "http"
}

// Backup is what a service's backupbot.* labels ask a backup to do.
type Backup struct {
	Enabled         bool   `json:"enabled"`
	PreHook         string `json:"pre_hook,omitempty"`
	PostHook        string `json:"post_hook,omitempty"`
	RestorePreHook  string `json:"restore_pre_hook,omitempty"`
	RestorePostHook string `json:"restore_post_hook,omitempty"`
	// Volumes maps a compose volume name to the paths inside it to save
	// (backupbot.backup.volumes.<vol>.path, comma separated; empty = all of
	// it). A volume labelled `backupbot.backup.volumes.<vol>=false` is in
	// Excluded instead.
	Volumes  map[string][]string `json:"volumes,omitempty"`
	Excluded []string            `json:"excluded_volumes,omitempty"`
	// Paths are the older backupbot.backup.path absolute container paths.
	Paths []string `json:"paths,omitempty"`
	// Other keeps any further backupbot.* label (for example the
	// backupbot.backup.command some recipes use) as written.
	Other map[string]string `json:"other,omitempty"`
}

// backupLabels reads backupbot.* labels; nil when the service has none.
func backupLabels(labels map[string]string) *Backup {
	var b *Backup
	for k, v := range labels {
		rest, ok := strings.CutPrefix(k, "backupbot.")
		if !ok {
			continue
		}
		if b == nil {
			b = &Backup{}
		}
		switch {
		case rest == "backup":
			b.Enabled = isTrue(v)
		case rest == "backup.pre-hook":
			b.PreHook = v
		case rest == "backup.post-hook":
			b.PostHook = v
		case rest == "restore.pre-hook":
			b.RestorePreHook = v
		case rest == "restore.post-hook":
			b.RestorePostHook = v
		case rest == "backup.path":
			b.Paths = splitList(v)
		case strings.HasPrefix(rest, "backup.volumes."):
			vol := strings.TrimPrefix(rest, "backup.volumes.")
			if b.Volumes == nil {
				b.Volumes = map[string][]string{}
			}
			if name, ok := strings.CutSuffix(vol, ".path"); ok {
				b.Volumes[name] = splitList(v)
			} else if !isTrue(v) {
				b.Excluded = append(b.Excluded, vol)
			}
		default:
			if b.Other == nil {
				b.Other = map[string]string{}
			}
			b.Other[k] = v
		}
	}
	if b != nil {
		sort.Strings(b.Excluded)
		for _, vol := range b.Excluded {
			delete(b.Volumes, vol)
		}
	}
	return b
}

func isTrue(v string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	return err == nil && b
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
