package recipe

import (
	"regexp"
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

var matcherRe = regexp.MustCompile(`(HostRegexp|Host|PathPrefix|PathRegexp|Path)\(([^)]*)\)`)
var ruleArgRe = regexp.MustCompile("`([^`]*)`|\"([^\"]*)\"")

// parseRule pulls the literal hosts and paths out of a traefik rule. The
// boolean structure (&&, ||, !) is not evaluated: for readiness we need the
// hosts a router answers for and a path it certainly serves.
func parseRule(rule string, r *Router) {
	for _, m := range matcherRe.FindAllStringSubmatch(rule, -1) {
		for _, a := range ruleArgRe.FindAllStringSubmatch(m[2], -1) {
			arg := a[1] + a[2]
			if arg == "" {
				continue
			}
			switch m[1] {
			case "Host":
				r.Hosts = append(r.Hosts, arg)
			case "HostRegexp":
				r.HostRegexps = append(r.HostRegexps, arg)
			case "Path":
				r.Paths = append(r.Paths, arg)
			case "PathPrefix":
				r.PathPrefix = append(r.PathPrefix, arg)
			}
		}
	}
}

// traefikRouters reads the traefik.http.* labels of one service. Only
// routers are returned; services are folded into their routers' Port.
func traefikRouters(labels map[string]string) ([]Router, error) {
	if v, ok := labels["traefik.enable"]; ok && !isTrue(v) {
		return nil, nil
	}
	routers := map[string]*Router{}
	ports := map[string]int{}
	var perr error
	for k, v := range labels {
		rest, ok := strings.CutPrefix(k, "traefik.http.")
		if !ok {
			continue
		}
		kind, rest, _ := strings.Cut(rest, ".")
		name, attr, _ := strings.Cut(rest, ".")
		switch kind {
		case "routers":
			r := routers[name]
			if r == nil {
				r = &Router{Name: name}
				routers[name] = r
			}
			switch attr {
			case "rule":
				r.Rule = v
				parseRule(v, r)
			case "entrypoints":
				r.Entrypoints = splitList(v)
			case "service":
				r.Service = v
			case "middlewares":
				r.Middlewares = splitList(v)
			}
		case "services":
			if attr == "loadbalancer.server.port" {
				p, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || p < 1 || p > 65535 {
					perr = &ConfigError{Key: k, Msg: "port " + strconv.Quote(v) + " is not a number from 1 to 65535"}
					continue
				}
				ports[name] = p
			}
		}
	}
	if perr != nil {
		return nil, perr
	}
	var out []Router
	for _, r := range routers {
		if r.Rule == "" {
			continue // a router without a rule only carries tls or middleware settings
		}
		switch {
		case r.Service != "":
			r.Port = ports[strings.TrimSuffix(r.Service, "@docker")]
		case len(ports) == 1:
			for _, p := range ports {
				r.Port = p
			}
		default:
			r.Port = ports[r.Name]
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
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
