package recipe

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	composetypes "github.com/docker/cli/cli/compose/types"
)

// The deploy policy. A recipe, and above all a pull request to one, is
// untrusted, yet it is deployed by a runner that holds the Docker socket
// (root on the swarm). So a compose file may not reach the host (bind
// mounts, the Docker socket, capabilities, devices, privileged-like
// options, the host's network, pid or ipc namespaces, sysctls, volume
// drivers and their options) nor anything on the swarm outside the run's
// own `<stack>_` namespace (an explicit name or `external: true` on a
// secret, config, volume or network), except the shared `proxy` network.
// Every file a secret, config or env_file reads must stay in the recipe
// after symlinks (insideRecipe).
//
// What a recipe really needs (a reverse proxy reads the Docker socket, a
// backup agent mounts volumes) is granted by its reviewed enrollment,
// recipe.toml's [[policy.grant]], never by the recipe itself; the report
// lists each grant a run used.

// Grant allows one thing the deploy policy refuses.
type Grant struct {
	// Service is the compose service the grant applies to; "" for a
	// top-level object (secrets.X, configs.X, volumes.X, networks.X).
	Service string `toml:"service" json:"service,omitempty"`
	// Key is what is allowed, as the policy's refusal names it: a service
	// key (volumes, cap_add, devices, privileged, security_opt, ...) or a
	// top-level object (networks.traefik_public, volumes.data.driver_opts).
	Key string `toml:"key" json:"key"`
	// Value narrows the grant to one value (a bind mount's host path, a
	// capability, a device, an option, the object's full name); "" = any.
	Value string `toml:"value" json:"value,omitempty"`
	// Reason says why the recipe needs it; required.
	Reason string `toml:"reason" json:"reason"`
}

func (g Grant) String() string {
	s := g.Key
	if g.Service != "" {
		s = "services." + g.Service + "." + g.Key
	}
	if g.Value != "" {
		s += " " + g.Value
	}
	return s
}

// serviceKeys are the service keys the policy refuses, with why.
var serviceKeys = map[string]string{
	"volumes":       "mounts a host path",
	"cap_add":       "adds a kernel capability",
	"devices":       "maps a host device",
	"privileged":    "runs the container privileged",
	"security_opt":  "changes the container's security options",
	"userns_mode":   "changes the user namespace",
	"cgroup_parent": "places the container in another cgroup",
	"cgroupns_mode": "changes the cgroup namespace",
	"network_mode":  "joins another network namespace",
	"pid":           "joins another pid namespace",
	"ipc":           "joins another ipc namespace",
	"sysctls":       "sets kernel parameters",
}

var topLevelKeyRe = regexp.MustCompile(`^(secrets|configs|volumes|networks)\.[^.]+$|^volumes\.[^.]+\.(driver|driver_opts|x-cluster-spec)$`)

// CheckGrant checks a grant's shape (not whether the recipe uses it).
func CheckGrant(g Grant) error {
	switch {
	case strings.TrimSpace(g.Reason) == "":
		return errors.New("needs a reason: why the recipe needs this access")
	case g.Service != "":
		if _, ok := serviceKeys[g.Key]; !ok {
			return fmt.Errorf("key %q is not a service key the policy refuses (%s)", g.Key, strings.Join(sortedKeys(serviceKeys), ", "))
		}
	case !topLevelKeyRe.MatchString(g.Key):
		if _, ok := serviceKeys[g.Key]; ok {
			return fmt.Errorf("key %q is a service key: name the service", g.Key)
		}
		return fmt.Errorf("key %q is neither a service key nor a top-level object (secrets.NAME, configs.NAME, volumes.NAME, networks.NAME, volumes.NAME.driver, volumes.NAME.driver_opts)", g.Key)
	}
	return nil
}

// violation is one thing a compose model does that the policy refuses.
type violation struct {
	service, key, value, why string
}

func (v violation) same(o violation) bool {
	return v.service == o.service && v.key == o.key && v.value == o.value
}

func (v violation) grantedBy(g Grant) bool {
	return g.Service == v.service && g.Key == v.key && (g.Value == "" || g.Value == v.value)
}

// violations lists what cfg does that the policy refuses, services first
// (by name), then top-level objects.
func violations(cfg *composetypes.Config, stack, dir string) []violation {
	var out []violation
	svcs := slices.Clone(cfg.Services)
	sort.Slice(svcs, func(i, j int) bool { return svcs[i].Name < svcs[j].Name })
	for _, sc := range svcs {
		out = append(out, serviceViolations(sc, dir)...)
	}
	scoped := func(k string) string { return stack + "_" + k }
	inNamespace := func(name string) bool { return strings.HasPrefix(name, stack+"_") }
	outside := func(kind, k, explicit string, external bool) {
		full := objectName(explicit, k, external, scoped)
		if inNamespace(full) || (kind == "networks" && full == "proxy" && external) {
			return
		}
		why := fmt.Sprintf("is named %q, outside the run's namespace %s_ (another app's or the host's object)", full, stack)
		out = append(out, violation{key: kind + "." + k, value: full, why: why})
	}
	for _, k := range sortedKeys(cfg.Secrets) {
		c := cfg.Secrets[k]
		outside("secrets", k, c.Name, c.External.External)
	}
	for _, k := range sortedKeys(cfg.Configs) {
		c := cfg.Configs[k]
		outside("configs", k, c.Name, c.External.External)
	}
	for _, k := range sortedKeys(cfg.Volumes) {
		c := cfg.Volumes[k]
		outside("volumes", k, c.Name, c.External.External)
		if c.Driver != "" && c.Driver != "local" {
			out = append(out, violation{key: "volumes." + k + ".driver", value: c.Driver, why: "uses a volume driver plugin, which acts on the host"})
		}
		if len(c.DriverOpts) > 0 {
			var opts []string
			for _, o := range sortedKeys(c.DriverOpts) {
				opts = append(opts, o+"="+c.DriverOpts[o])
			}
			out = append(out, violation{key: "volumes." + k + ".driver_opts", value: strings.Join(opts, ","),
				why: "sets driver options (" + strings.Join(opts, ",") + "): the local driver mounts a host path or a remote share with them"})
		}
		if c.Spec != nil {
			out = append(out, violation{key: "volumes." + k + ".x-cluster-spec", why: "is a cluster (CSI) volume"})
		}
	}
	for _, k := range sortedKeys(cfg.Networks) {
		c := cfg.Networks[k]
		outside("networks", k, c.Name, c.External.External)
	}
	return out
}

// serviceViolations lists what one service does that the policy refuses;
// dir is the recipe folder, which a relative bind mount is named from.
func serviceViolations(sc composetypes.ServiceConfig, dir string) []violation {
	var out []violation
	add := func(key, value, why string) {
		out = append(out, violation{service: sc.Name, key: key, value: value, why: why})
	}
	for _, v := range sc.Volumes {
		switch v.Type {
		case "volume", "tmpfs":
		case "bind":
			// The loader made a relative source absolute: name it as the
			// recipe does, so that a grant's value does not depend on
			// where the checkout lies.
			src := v.Source
			if rel, ok := relInside(dir, src); ok && rel == "." {
				src = "./"
			} else if ok {
				src = "./" + filepath.ToSlash(rel)
			}
			why := "bind-mounts host path " + src
			if exposesDockerSocket(v.Source) {
				why += ", which exposes the Docker socket (root on the swarm)"
			}
			add("volumes", src, why)
		default:
			add("volumes", v.Type, "mounts a "+v.Type+" from the host")
		}
	}
	for _, c := range sc.CapAdd {
		add("cap_add", c, "adds capability "+c)
	}
	for _, d := range sc.Devices {
		add("devices", d, "maps host device "+d)
	}
	if sc.Privileged {
		add("privileged", "true", "runs privileged")
	}
	for _, o := range sc.SecurityOpt {
		add("security_opt", o, "sets security option "+o)
	}
	for key, v := range map[string]string{"userns_mode": sc.UserNSMode, "cgroup_parent": sc.CgroupParent, "cgroupns_mode": sc.CgroupNSMode} {
		if v != "" {
			add(key, v, serviceKeys[key]+" ("+v+")")
		}
	}
	for key, v := range map[string]string{"network_mode": sc.NetworkMode, "pid": sc.Pid, "ipc": sc.Ipc} {
		if v == "host" || strings.HasPrefix(v, "container:") || strings.HasPrefix(v, "service:") {
			add(key, v, serviceKeys[key]+" ("+v+")")
		}
	}
	for _, k := range sortedKeys(sc.Sysctls) {
		add("sysctls", k, "sets sysctl "+k)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// exposesDockerSocket reports whether a bind mount of host path p makes
// the Docker socket reachable in the container.
func exposesDockerSocket(p string) bool {
	p = path.Clean(p)
	for _, sock := range []string{"/var/run/docker.sock", "/run/docker.sock"} {
		if p == sock || p == "/" || strings.HasPrefix(sock, p+"/") {
			return true
		}
	}
	return path.Base(p) == "docker.sock"
}

// checkPolicy refuses what the merged compose model does that no grant
// allows, naming the compose file, service and key; it returns the grants
// used, in the order given.
func (b *appBuilder) checkPolicy(grants []Grant) ([]Grant, error) {
	used := make([]bool, len(grants))
	var errs []error
	for _, v := range violations(b.app.Compose, b.app.Stack, b.r.Dir) {
		granted := false
		for i, g := range grants {
			if v.grantedBy(g) {
				used[i], granted = true, true
			}
		}
		if granted {
			continue
		}
		file, key := b.fileWith(v), v.key
		if v.service != "" {
			key = "services." + v.service + "." + v.key
		}
		errs = append(errs, &ConfigError{File: file, Key: key, Msg: v.why + ": refused by the deploy policy (" + grantHint(v) + ")"})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out []Grant
	for i, g := range grants {
		if used[i] {
			out = append(out, g)
		} else {
			b.app.Warnings = append(b.app.Warnings, fmt.Sprintf("policy grant %s is not needed by this recipe", g))
		}
	}
	return out, nil
}

// fileWith returns the compose file that does v: the first whose own
// model has it, else all of them.
func (b *appBuilder) fileWith(v violation) string {
	for i, c := range b.perFile {
		if slices.ContainsFunc(violations(c, b.app.Stack, b.r.Dir), v.same) {
			return b.r.ComposeFiles[i]
		}
	}
	return strings.Join(b.r.ComposeFiles, ":")
}

// grantHint says how an operator allows v, if the recipe really needs it.
func grantHint(v violation) string {
	svc := ""
	if v.service != "" {
		svc = fmt.Sprintf("service = %q, ", v.service)
	}
	val := ""
	if v.value != "" {
		val = fmt.Sprintf(", value = %q", v.value)
	}
	return fmt.Sprintf("if the recipe needs it, its reviewed enrollment grants it: [[policy.grant]] %skey = %q%s, reason = \"...\"", svc, v.key, val)
}

// unjoin splits an errors.Join result into its errors.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
