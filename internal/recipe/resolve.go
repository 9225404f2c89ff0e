package recipe

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/compose/loader"
	"github.com/docker/cli/cli/compose/schema"
	composetypes "github.com/docker/cli/cli/compose/types"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
)

// ResolveOptions says where an app will be deployed.
type ResolveOptions struct {
	Domain string
	// Stack defaults to the name abra derives from Domain.
	Stack string
	// Env overrides the recipe's env last, after abra.sh and the run facts.
	Env map[string]string
	// Grants allow what the deploy policy refuses (see policy.go); they
	// come from the reviewed enrollment only.
	Grants []Grant
	// NoPolicy is for callers that deploy nothing (inspect, lint,
	// scaffold): what the policy refuses is listed in App.Refused
	// instead of failing the resolve.
	NoPolicy bool
}

// Env returns the env abra would deploy with: .env.sample's assignments,
// then abra.sh's exports, then DOMAIN and STACK_NAME, then extra.
func (r *Recipe) EnvFor(domain, stack string, extra map[string]string) map[string]string {
	env := r.Env.Map()
	if r.AbraSh != nil {
		maps.Copy(env, r.AbraSh.Exports)
	}
	env["DOMAIN"] = domain
	env["STACK_NAME"] = stack
	maps.Copy(env, extra)
	return env
}

// Resolve merges and interpolates the recipe's compose files for a domain,
// as abra and `docker stack deploy` do (Docker's own compose loader), and
// checks what would break at deploy time: unknown references, secrets
// without a version, missing config files, names over swarm's limits.
func (r *Recipe) Resolve(opts ResolveOptions) (*App, error) {
	if err := naming.ValidDomain(opts.Domain); err != nil {
		return nil, &ConfigError{File: "--domain", Msg: err.Error()}
	}
	stack := opts.Stack
	if stack == "" {
		stack = naming.StackName(opts.Domain)
	}
	env := r.EnvFor(opts.Domain, stack, opts.Env)
	perFile := make([]*composetypes.Config, len(r.ComposeFiles))
	details := composetypes.ConfigDetails{WorkingDir: r.Dir, Environment: env}
	for i, f := range r.ComposeFiles {
		cf, cfg, err := loadOne(r.Dir, f, env)
		if err != nil {
			return nil, err
		}
		details.ConfigFiles = append(details.ConfigFiles, cf)
		perFile[i] = cfg
	}
	details.Version = schema.Version(details.ConfigFiles[0].Config)
	merged, err := loader.Load(details)
	if err != nil {
		return nil, &ConfigError{File: strings.Join(r.ComposeFiles, ":"), Msg: "merging compose files", Err: err}
	}
	b := &appBuilder{r: r, env: env, perFile: perFile, app: &App{
		Recipe: r.Name, Domain: opts.Domain, Stack: stack, ComposeFiles: r.ComposeFiles,
		Env: env, Compose: merged, Dir: r.Dir,
	}}
	if err := b.build(); err != nil {
		return nil, err
	}
	used, err := b.checkPolicy(opts.Grants)
	switch {
	case err != nil && opts.NoPolicy:
		for _, e := range unjoin(err) {
			b.app.Refused = append(b.app.Refused, e.Error())
		}
	case err != nil:
		return nil, err
	}
	b.app.Grants = used
	return b.app, nil
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

// loadOne parses and validates a single compose file so that an error names
// the file it is in (the merged load cannot).
func loadOne(dir, name string, env map[string]string) (composetypes.ConfigFile, *composetypes.Config, error) {
	data, err := readFile(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		return composetypes.ConfigFile{}, nil, &ConfigError{File: name, Msg: "missing compose file"}
	}
	if err != nil {
		return composetypes.ConfigFile{}, nil, fmt.Errorf("read %s: %w", name, err)
	}
	dict, err := loader.ParseYAML(data)
	if err != nil {
		ce := &ConfigError{File: name, Msg: "invalid YAML", Err: err}
		if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
			ce.Line, _ = strconv.Atoi(m[1])
		}
		return composetypes.ConfigFile{}, nil, ce
	}
	if err := inlineEnvFiles(dir, name, dict, env); err != nil {
		return composetypes.ConfigFile{}, nil, err
	}
	cf := composetypes.ConfigFile{Filename: name, Config: dict}
	cfg, err := loader.Load(composetypes.ConfigDetails{
		WorkingDir: dir, Environment: env, ConfigFiles: []composetypes.ConfigFile{cf},
		Version: schema.Version(dict),
	})
	if err != nil {
		return cf, nil, &ConfigError{File: name, Msg: "invalid compose file", Err: err}
	}
	return cf, cfg, nil
}

type appBuilder struct {
	r       *Recipe
	env     map[string]string
	perFile []*composetypes.Config
	app     *App
}

func (b *appBuilder) build() error {
	for _, step := range []func() error{b.secrets, b.configs, b.volumes, b.networks, b.services} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// fileDefining returns the compose file whose top-level section defines key,
// or the first compose file.
func (b *appBuilder) fileDefining(has func(*composetypes.Config) bool) string {
	for i, c := range b.perFile {
		if has(c) {
			return b.r.ComposeFiles[i]
		}
	}
	return b.r.ComposeFiles[0]
}

func (b *appBuilder) scoped(name string) string { return b.app.Stack + "_" + name }

func (b *appBuilder) secrets() error {
	for _, k := range sortedKeys(b.app.Compose.Secrets) {
		c := b.app.Compose.Secrets[k]
		file := b.fileDefining(func(cfg *composetypes.Config) bool { _, ok := cfg.Secrets[k]; return ok })
		s := Secret{Name: k, External: c.External.External, Generate: true,
			VersionVar: "SECRET_" + strings.ToUpper(k) + "_VERSION"}
		s.FullName = objectName(c.Name, k, s.External, b.scoped)
		if s.External {
			v, ok := b.r.Env.Lookup(s.VersionVar)
			ver, set := b.env[s.VersionVar]
			if !set || ver == "" {
				return &ConfigError{File: b.r.Env.File, Key: s.VersionVar,
					Msg: fmt.Sprintf("secret %q (%s) has no version: add %s=v1", k, file, s.VersionVar)}
			}
			s.Version = ver
			if ok {
				if l := v.Modifiers["length"]; l != "" {
					n, err := strconv.Atoi(l)
					if err != nil || n < 1 || n > 4096 {
						return &ConfigError{File: b.r.Env.File, Line: v.Line, Key: s.VersionVar, Msg: fmt.Sprintf("length hint %q is not a number from 1 to 4096", l)}
					}
					s.Length = n
				}
				s.Charset = v.Modifiers["charset"]
				s.Generate = v.Modifiers["generate"] != "false"
			}
			if !strings.HasSuffix(s.FullName, "_"+ver) {
				b.app.Warnings = append(b.app.Warnings, fmt.Sprintf("%s: secret %q is named %q, which does not end in its version %s=%s", file, k, s.FullName, s.VersionVar, ver))
			}
		}
		if c.File != "" && !s.External {
			if _, err := insideRecipe(b.r.Dir, c.File); err != nil {
				return &ConfigError{File: file, Key: "secrets." + k + ".file", Msg: err.Error()}
			}
		}
		if err := naming.CheckObjectName("secret", s.FullName); err != nil {
			return &ConfigError{File: file, Key: "secrets." + k, Msg: err.Error()}
		}
		b.app.Secrets = append(b.app.Secrets, s)
	}
	return nil
}

func (b *appBuilder) configs() error {
	for _, k := range sortedKeys(b.app.Compose.Configs) {
		c := b.app.Compose.Configs[k]
		file := b.fileDefining(func(cfg *composetypes.Config) bool { _, ok := cfg.Configs[k]; return ok })
		o := ConfigObject{Name: k, External: c.External.External, TemplateDriver: c.TemplateDriver,
			VersionVar: strings.ToUpper(k) + "_VERSION"}
		o.FullName = objectName(c.Name, k, o.External, b.scoped)
		o.Version = b.env[o.VersionVar]
		if c.File != "" {
			rel, err := insideRecipe(b.r.Dir, c.File)
			if err != nil {
				return &ConfigError{File: file, Key: "configs." + k + ".file", Msg: err.Error()}
			}
			o.File = rel
		}
		if err := naming.CheckObjectName("config", o.FullName); err != nil {
			return &ConfigError{File: file, Key: "configs." + k, Msg: err.Error()}
		}
		b.app.Configs = append(b.app.Configs, o)
	}
	return nil
}

func (b *appBuilder) volumes() error {
	for _, k := range sortedKeys(b.app.Compose.Volumes) {
		c := b.app.Compose.Volumes[k]
		b.app.Volumes = append(b.app.Volumes, Volume{Name: k, External: c.External.External, Driver: c.Driver,
			FullName: objectName(c.Name, k, c.External.External, b.scoped)})
	}
	return nil
}

func (b *appBuilder) networks() error {
	for _, k := range sortedKeys(b.app.Compose.Networks) {
		c := b.app.Compose.Networks[k]
		b.app.Networks = append(b.app.Networks, Network{Name: k, External: c.External.External, Driver: c.Driver,
			Internal: c.Internal, FullName: objectName(c.Name, k, c.External.External, b.scoped)})
	}
	return nil
}

// objectName is the name docker stack deploy gives a top-level object: its
// explicit name, else the key itself when external, else stack-scoped.
func objectName(explicit, key string, external bool, scoped func(string) string) string {
	switch {
	case explicit != "":
		return explicit
	case external:
		return key
	}
	return scoped(key)
}

func (b *appBuilder) services() error {
	versionKey := "coop-cloud." + b.app.Stack + ".version"
	timeoutKey := "coop-cloud." + b.app.Stack + ".timeout"
	for _, sc := range b.app.Compose.Services {
		file := b.fileDefining(func(cfg *composetypes.Config) bool {
			for _, s := range cfg.Services {
				if s.Name == sc.Name && s.Image != "" {
					return true
				}
			}
			return false
		})
		errf := func(format string, args ...any) error {
			return &ConfigError{File: file, Key: "services." + sc.Name, Msg: fmt.Sprintf(format, args...)}
		}
		if sc.Image == "" {
			return errf("no image specified")
		}
		if _, err := reference.ParseAnyReference(sc.Image); err != nil {
			return errf("invalid image reference %q: %v", sc.Image, err)
		}
		s := Service{Name: sc.Name, FullName: b.scoped(sc.Name), Image: sc.Image, Replicas: 1,
			Labels: map[string]string{}}
		if err := naming.CheckServiceName(s.FullName); err != nil {
			return errf("%v", err)
		}
		if sc.Deploy.Replicas != nil {
			s.Replicas = *sc.Deploy.Replicas
		}
		maps.Copy(s.Labels, sc.Labels)
		maps.Copy(s.Labels, sc.Deploy.Labels)
		if err := b.references(sc, &s); err != nil {
			return err
		}
		s.Healthcheck = healthcheck(sc.HealthCheck)
		routers, err := traefikRouters(s.Labels)
		if err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				ce.File, ce.Key = file, "services."+sc.Name+" label "+ce.Key
			}
			return err
		}
		s.Routers = routers
		s.Backup = backupLabels(s.Labels)
		s.Ports = servicePorts(sc.Ports)
		if v := s.Labels[versionKey]; v != "" {
			b.app.Version = v
		}
		if v := s.Labels[timeoutKey]; v != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return errf("label %s=%q is not a positive number of seconds", timeoutKey, v)
			}
			b.app.Timeout, b.app.TimeoutS = time.Duration(n)*time.Second, n
		}
		b.app.Services = append(b.app.Services, s)
	}
	sort.Slice(b.app.Services, func(i, j int) bool { return b.app.Services[i].Name < b.app.Services[j].Name })
	return nil
}

// references checks that every secret, config, named volume and network a
// service uses is defined at the top level, as the swarm converter requires.
// An error names the compose file whose service entry uses the reference.
func (b *appBuilder) references(sc composetypes.ServiceConfig, s *Service) error {
	c := b.app.Compose
	missing := func(kind, name string, uses func(composetypes.ServiceConfig) bool) error {
		file := b.fileDefining(func(cfg *composetypes.Config) bool {
			for _, fs := range cfg.Services {
				if fs.Name == sc.Name && uses(fs) {
					return true
				}
			}
			return false
		})
		return &ConfigError{File: file, Key: "services." + sc.Name,
			Msg: fmt.Sprintf("uses %s %q, which no compose file defines under %ss:", kind, name, kind)}
	}
	for _, ref := range sc.Secrets {
		if _, ok := c.Secrets[ref.Source]; !ok {
			return missing("secret", ref.Source, func(fs composetypes.ServiceConfig) bool {
				return slices.ContainsFunc(fs.Secrets, func(x composetypes.ServiceSecretConfig) bool { return x.Source == ref.Source })
			})
		}
		s.Secrets = append(s.Secrets, ref.Source)
	}
	for _, ref := range sc.Configs {
		if _, ok := c.Configs[ref.Source]; !ok {
			return missing("config", ref.Source, func(fs composetypes.ServiceConfig) bool {
				return slices.ContainsFunc(fs.Configs, func(x composetypes.ServiceConfigObjConfig) bool { return x.Source == ref.Source })
			})
		}
		s.Configs = append(s.Configs, ref.Source)
	}
	for _, v := range sc.Volumes {
		if v.Type != "volume" || v.Source == "" {
			continue
		}
		if _, ok := c.Volumes[v.Source]; !ok {
			return missing("volume", v.Source, func(fs composetypes.ServiceConfig) bool {
				return slices.ContainsFunc(fs.Volumes, func(x composetypes.ServiceVolumeConfig) bool { return x.Source == v.Source })
			})
		}
		s.Volumes = append(s.Volumes, Mount{Volume: v.Source, Target: v.Target})
	}
	for _, n := range sortedKeys(sc.Networks) {
		if _, ok := c.Networks[n]; !ok && n != "default" {
			return missing("network", n, func(fs composetypes.ServiceConfig) bool { _, ok := fs.Networks[n]; return ok })
		}
		s.Networks = append(s.Networks, n)
	}
	return nil
}

func healthcheck(h *composetypes.HealthCheckConfig) *Healthcheck {
	if h == nil {
		return nil
	}
	out := &Healthcheck{Test: h.Test, Disabled: h.Disable}
	dur := func(d *composetypes.Duration) string {
		if d == nil {
			return ""
		}
		return time.Duration(*d).String()
	}
	out.Interval, out.Timeout, out.StartPeriod = dur(h.Interval), dur(h.Timeout), dur(h.StartPeriod)
	if h.Retries != nil {
		out.Retries = *h.Retries
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
