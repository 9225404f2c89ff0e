// Package enrollment reads a recipe's enrollment: the recipe.toml in
// recipes/<name>/ that tells recipe-test what the generic floor cannot
// guess: how to seed and check the app's data, which release to upgrade
// from, which rungs of the level ladder do not apply and why.
//
// recipe.toml is decoded strictly: an unknown key is an error naming the
// file, line and key, so a typo never silently disables a check.
package enrollment

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/cc-ci/recipe-test/v2/internal/deps"
	"github.com/cc-ci/recipe-test/v2/internal/lifecycle"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// FileName is the enrollment file inside an enrollment folder.
const FileName = "recipe.toml"

// Enrollment is one recipe's recipe.toml.
type Enrollment struct {
	// File is the path it was read from ("" for the zero enrollment).
	File string `toml:"-"`
	// Dir is the enrollment folder (the recipe's Go tests live there).
	Dir string `toml:"-"`

	Recipe Source `toml:"recipe"`
	// Stages are the stages run by default for this recipe (the CLI's
	// --stages still wins); empty = every stage.
	Stages   []string `toml:"stages"`
	Timeouts Timeouts `toml:"timeouts"`
	Probe    Probe    `toml:"probe"`
	// Env holds extra env assignments for the app, on top of .env.sample.
	// Values are Go templates over the run's facts: {{.Domain}},
	// {{.Stack}}, {{.RunID}}, {{.Recipe}}.
	Env     map[string]string `toml:"env"`
	Upgrade Upgrade           `toml:"upgrade"`
	Hooks   Hooks             `toml:"hooks"`
	// NotApplicable maps a rung (see lifecycle.Rungs) to the reason it does not
	// apply to the recipe; such a rung counts as passed, with its note.
	NotApplicable map[string]string `toml:"not_applicable"`
	// Parity compares the recipe's tests with upstream ones, row by row.
	Parity []ParityRow `toml:"parity"`
	// Policy grants the recipe what the deploy policy refuses by default
	// (host access, names outside the run's namespace), each with why.
	Policy Policy `toml:"policy"`
	// Secrets supplies secret values the run must not generate, by the
	// compose secret's name (see SecretSupply).
	Secrets map[string]SecretSupply `toml:"secrets"`
	// Requires are the recipes deployed beside this one, with how they
	// are wired into its env and secrets (see package deps).
	Requires []deps.Require `toml:"requires"`
	// Budget is the recipe's share of the swarm-wide run budget.
	Budget Budget `toml:"budget"`

	timeouts timeouts   // Timeouts, parsed
	lines    deps.Lines // where each key is written, for errors found after decoding
}

// Lines tells where each key of the file is written.
func (e *Enrollment) Lines() deps.Lines {
	if e == nil {
		return nil
	}
	return e.lines
}

// Source says where the recipe's repository is, for `--recipe <name>`.
type Source struct {
	Name     string `toml:"name"`     // the recipe's name; "" = the folder's
	Upstream string `toml:"upstream"` // its git repository
	// Mirror is the CI organisation's mirror of Upstream (made by
	// `recipe-test enroll`); runs fetch from it when set, so a recipe
	// stays testable when its upstream is slow or gone.
	Mirror string `toml:"mirror"`
	Path   string `toml:"path"` // a local folder instead (bundled fixtures), relative to recipe.toml
	Ref    string `toml:"ref"`  // default ref to test
	// Unverified says why the suite has not run against the real app yet
	// (no image could be pulled or built where it was written); PARITY.md
	// and `recipe-test list` say so until a run verifies it.
	Unverified string `toml:"unverified"`
}

// Timeouts are durations such as "5m" or "90s".
type Timeouts struct {
	Deploy string `toml:"deploy"` // convergence and readiness of each deploy
	Custom string `toml:"custom"` // the recipe's own tests
}

type timeouts struct{ deploy, custom time.Duration }

// Probe is the readiness probe. Path and Statuses are for HTTP; TCP and
// UDP adjust the probe of the app's TCP and UDP ways in (Traefik TCP/UDP
// routers, published ports), each found by its service and port.
type Probe struct {
	Path     string        `toml:"path"`
	Statuses []int         `toml:"statuses"`
	TCP      []StreamProbe `toml:"tcp"`
	UDP      []StreamProbe `toml:"udp"`
}

// StreamProbe is what a ready TCP or UDP stream answers. Without one, a
// TCP stream is ready once it accepts a connection, and a UDP stream is
// not probed (UDP has no connection: only an answer proves anything).
type StreamProbe struct {
	// Service is the compose service the stream reaches.
	Service string `toml:"service"`
	// Port is its container port; 0 = the service's only stream of the
	// protocol.
	Port int `toml:"port"`
	// Send is written once connected (TCP) or sent as a datagram (UDP,
	// where it is required).
	Send string `toml:"send"`
	// Expect must appear in the answer (a banner, a reply to Send).
	Expect string `toml:"expect"`
	// Skip leaves the stream out of readiness (a port that answers only
	// once a client has set something up), with the reason.
	Skip string `toml:"skip"`
}

// Parity statuses.
const (
	Ported        = "ported"
	Deferred      = "deferred"
	NotApplicable = "not-applicable"
	// Todo marks an upstream test nobody has looked at yet: the scaffold
	// `recipe-test enroll` writes lists one per upstream test it found.
	Todo = "todo"
)

// ParityRow records an upstream test and what became of it here.
type ParityRow struct {
	Upstream string `toml:"upstream"` // e.g. recipe-info/n8n/tests/health_check.py
	Status   string `toml:"status"`   // ported | deferred | not-applicable
	Test     string `toml:"test"`     // ported: our Go test's name
	Verifies string `toml:"verifies"` // what it verifies
	Reason   string `toml:"reason"`   // deferred: a technical reason; not-applicable: why
}

// DeployTimeout is timeouts.deploy; 0 when unset.
func (e *Enrollment) DeployTimeout() time.Duration {
	if e == nil {
		return 0
	}
	return e.timeouts.deploy
}

// CustomTimeout is timeouts.custom; 0 when unset.
func (e *Enrollment) CustomTimeout() time.Duration {
	if e == nil {
		return 0
	}
	return e.timeouts.custom
}

// Policy is recipe.toml's [policy]: the grants a reviewer approved. They
// are honoured only here, in the reviewed enrollment, never from the
// recipe's own repository.
type Policy struct {
	Grant []recipe.Grant `toml:"grant"`
}

// Grants returns the enrollment's policy grants; none without one.
func (e *Enrollment) Grants() []recipe.Grant {
	if e == nil {
		return nil
	}
	return e.Policy.Grant
}

// Budget is recipe.toml's [budget]: how many slots of the swarm-wide run
// budget (`run --budget N`) a run of the recipe takes. A heavy recipe (a
// database, a JVM, a browser) takes more than one, so fewer runs share
// the swarm with it.
type Budget struct {
	Weight *int `toml:"weight"` // nil = DefaultWeight
}

// DefaultWeight is a recipe's weight when recipe.toml names none.
const DefaultWeight = 1

// Weight is the slots a run of the recipe takes: [budget] weight, else
// DefaultWeight (also without an enrollment).
func (e *Enrollment) Weight() int {
	if e == nil || e.Budget.Weight == nil {
		return DefaultWeight
	}
	return *e.Budget.Weight
}

// Upgrade configures the upgrade stage.
type Upgrade struct {
	// Base is the release tag to upgrade from; "" = the newest release
	// older than the ref under test.
	Base string `toml:"base"`
}

// Hooks are the recipe's own data-integrity commands. Each is a shell
// command line run inside a running container of Service with
// RECIPE_TEST_MARKER set to a value unique to the run: Seed writes data
// carrying the marker through the app (its CLI, its database), Mutate
// changes and deletes some of it, and Verify exits 0 only when the data
// Seed wrote is there exactly as written.
type Hooks struct {
	Service string `toml:"service"`
	Seed    string `toml:"seed"`
	Mutate  string `toml:"mutate"`
	Verify  string `toml:"verify"`
}

// Defined reports whether the recipe declares its own data hooks.
func (h Hooks) Defined() bool {
	return h.Seed != "" || h.Mutate != "" || h.Verify != "" || h.Service != ""
}

// Load reads dir/recipe.toml. A missing file is an error: callers only
// load enrollments they were pointed at.
func Load(dir string) (*Enrollment, error) {
	file := filepath.Join(dir, FileName)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &recipe.ConfigError{File: file, Msg: "missing: an enrollment folder holds a recipe.toml"}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return Parse(file, data)
}

// Parse decodes recipe.toml content strictly and checks it. file names it
// in errors.
func Parse(file string, data []byte) (*Enrollment, error) {
	e := &Enrollment{File: file, Dir: filepath.Dir(file), lines: deps.IndexLines(data)}
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(e); err != nil {
		return nil, decodeError(file, err)
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	return e, nil
}

// decodeError turns go-toml's errors into a ConfigError with line and key.
func decodeError(file string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		de := strict.Errors[0]
		line, _ := de.Position()
		return &recipe.ConfigError{File: file, Line: line, Key: strings.Join(de.Key(), "."), Msg: "unknown key" + knownKeys(de.Key())}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return &recipe.ConfigError{File: file, Line: line, Key: strings.Join(de.Key(), "."), Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	}
	return &recipe.ConfigError{File: file, Msg: "cannot decode", Err: err}
}

// knownKeys lists the keys valid beside an unknown one, as a hint.
func knownKeys(key []string) string {
	var keys []string
	switch {
	case len(key) == 1:
		keys = []string{"recipe", "stages", "timeouts", "probe", "env", "upgrade", "hooks", "not_applicable", "parity", "policy", "secrets", "requires", "budget"}
	case key[0] == "recipe":
		keys = []string{"name", "upstream", "mirror", "path", "ref", "unverified"}
	case key[0] == "timeouts":
		keys = []string{"deploy", "custom"}
	case key[0] == "probe" && len(key) > 2:
		keys = []string{"service", "port", "send", "expect", "skip"}
	case key[0] == "probe":
		keys = []string{"path", "statuses", "tcp", "udp"}
	case key[0] == "parity":
		keys = []string{"upstream", "status", "test", "verifies", "reason"}
	case key[0] == "upgrade":
		keys = []string{"base"}
	case key[0] == "budget":
		keys = []string{"weight"}
	case key[0] == "policy" && len(key) == 2:
		keys = []string{"grant"}
	case key[0] == "policy":
		keys = []string{"service", "key", "value", "reason"}
	case key[0] == "secrets" && len(key) == 4 && key[2] == "random":
		keys = []string{"length", "charset"}
	case key[0] == "secrets" && len(key) == 3:
		keys = []string{"value", "random", "command", "service"}
	case key[0] == "requires" && len(key) > 2 && key[1] == "setup":
		keys = []string{"service", "run", "outputs"}
	case key[0] == "requires" && len(key) > 3 && key[1] == "sso" && key[2] == "client":
		keys = []string{"id", "public", "secret", "redirect_uris", "post_logout_redirect_uris"}
	case key[0] == "requires" && len(key) > 3 && key[1] == "sso" && key[2] == "users":
		keys = []string{"username", "password", "email", "given_name", "family_name"}
	case key[0] == "requires" && len(key) > 2 && key[1] == "sso":
		keys = []string{"backend", "url", "admin_user", "admin_password", "token", "realm", "client", "users"}
	case key[0] == "requires":
		keys = []string{"name", "upstream", "ref", "as", "for", "env", "secrets", "setup", "sso"}
	case key[0] == "hooks":
		keys = []string{"service", "seed", "mutate", "verify"}
	}
	if len(keys) == 0 {
		return ""
	}
	return " (known here: " + strings.Join(keys, ", ") + ")"
}

func (e *Enrollment) check() error {
	h := e.Hooks
	if h.Defined() {
		var missing []string
		for _, f := range []struct{ name, v string }{{"service", h.Service}, {"seed", h.Seed}, {"mutate", h.Mutate}, {"verify", h.Verify}} {
			if strings.TrimSpace(f.v) == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return &recipe.ConfigError{File: e.File, Key: "hooks", Msg: "needs service, seed, mutate and verify together; missing " + strings.Join(missing, ", ")}
		}
	}
	for _, name := range sortedKeys(e.NotApplicable) {
		if _, ok := lifecycle.RungKeys()[name]; !ok {
			return &recipe.ConfigError{File: e.File, Key: "not_applicable." + name, Msg: "is not a rung that can be declared not applicable (use " + rungKeyList() + ")"}
		}
		if strings.TrimSpace(e.NotApplicable[name]) == "" {
			return &recipe.ConfigError{File: e.File, Key: "not_applicable." + name, Msg: "needs a reason"}
		}
	}
	if e.Recipe.Upstream != "" && e.Recipe.Path != "" {
		return &recipe.ConfigError{File: e.File, Key: "recipe", Msg: "set upstream or path, not both"}
	}
	if e.Recipe.Mirror != "" && e.Recipe.Upstream == "" {
		return &recipe.ConfigError{File: e.File, Key: "recipe.mirror", Msg: "is a mirror of upstream: set upstream too"}
	}
	for _, st := range e.Stages {
		if _, ok := lifecycle.Lookup(st); !ok {
			return &recipe.ConfigError{File: e.File, Key: "stages", Msg: fmt.Sprintf("unknown stage %q (stages are %s)", st, strings.Join(lifecycle.Names(), ", "))}
		}
	}
	for key, p := range map[string]struct {
		s string
		d *time.Duration
	}{"timeouts.deploy": {e.Timeouts.Deploy, &e.timeouts.deploy}, "timeouts.custom": {e.Timeouts.Custom, &e.timeouts.custom}} {
		if p.s == "" {
			continue
		}
		d, err := time.ParseDuration(p.s)
		if err != nil || d <= 0 {
			return &recipe.ConfigError{File: e.File, Key: key, Msg: fmt.Sprintf("%q is not a positive duration such as \"5m\" or \"90s\"", p.s)}
		}
		*p.d = d
	}
	if e.Probe.Path != "" && !strings.HasPrefix(e.Probe.Path, "/") {
		return &recipe.ConfigError{File: e.File, Key: "probe.path", Msg: "must start with /"}
	}
	for _, st := range e.Probe.Statuses {
		if st < 100 || st > 599 {
			return &recipe.ConfigError{File: e.File, Key: "probe.statuses", Msg: fmt.Sprintf("%d is not an HTTP status", st)}
		}
	}
	if err := e.Probe.checkStreams(e.File); err != nil {
		return err
	}
	for _, name := range sortedKeys(e.Env) {
		if _, err := template.New(name).Option("missingkey=error").Parse(e.Env[name]); err != nil {
			return &recipe.ConfigError{File: e.File, Key: "env." + name, Msg: "is not a valid template", Err: err}
		}
	}
	for i, row := range e.Parity {
		if err := row.check(); err != nil {
			return &recipe.ConfigError{File: e.File, Key: fmt.Sprintf("parity[%d]", i), Msg: err.Error()}
		}
	}
	for i, g := range e.Policy.Grant {
		if err := recipe.CheckGrant(g); err != nil {
			return &recipe.ConfigError{File: e.File, Key: fmt.Sprintf("policy.grant[%d]", i), Msg: err.Error()}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(e.Secrets)) {
		if err := e.Secrets[name].check(); err != nil {
			return &recipe.ConfigError{File: e.File, Key: "secrets." + name, Msg: err.Error()}
		}
	}
	if err := deps.Check(e.File, e.lines, e.Requires); err != nil {
		return err
	}
	if w := e.Budget.Weight; w != nil && *w < 1 {
		return &recipe.ConfigError{File: e.File, Line: e.lines.Line("budget.weight"), Key: "budget.weight",
			Msg: fmt.Sprintf("%d is not a weight: a run takes at least 1 slot of the run budget", *w)}
	}
	if e.Upgrade.Base != "" {
		if _, err := recipe.ParseVersion(e.Upgrade.Base); err != nil {
			return &recipe.ConfigError{File: e.File, Key: "upgrade.base", Msg: "is not a release tag", Err: err}
		}
	}
	return nil
}

// rungKeyList names the rungs recipe.toml can declare not applicable,
// lowest first: "upgrade, backup_restore, functional or lint". Install
// (L1) is never optional.
func rungKeyList() string {
	var keys []string
	for _, r := range lifecycle.Rungs() {
		if r.Key != "" {
			keys = append(keys, r.Key)
		}
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " or " + keys[len(keys)-1]
}

// vagueReasons are deferral reasons that say nothing technical.
var vagueReasons = []string{"needs sso", "todo", "later", "too hard", "complex", "not yet", "tbd", "wip"}

func (p ParityRow) check() error {
	if strings.TrimSpace(p.Upstream) == "" {
		return fmt.Errorf("upstream is required (the upstream test's path)")
	}
	if strings.TrimSpace(p.Verifies) == "" && p.Status != Todo {
		return fmt.Errorf("%s: verifies is required (what the test checks)", p.Upstream)
	}
	switch p.Status {
	case Todo:
		if p.Test != "" {
			return fmt.Errorf("%s: a todo row names no test yet; with a test it is ported", p.Upstream)
		}
	case Ported:
		if !strings.HasPrefix(p.Test, "Test") {
			return fmt.Errorf("%s: ported needs test, the name of our Go test (TestXxx)", p.Upstream)
		}
	case Deferred:
		r := strings.ToLower(strings.TrimSpace(p.Reason))
		if len(strings.Fields(r)) < 6 || slices.Contains(vagueReasons, strings.Trim(r, ".")) {
			return fmt.Errorf("%s: deferred needs a technical reason (what is missing and why, in a sentence), not %q", p.Upstream, p.Reason)
		}
	case NotApplicable:
		if strings.TrimSpace(p.Reason) == "" {
			return fmt.Errorf("%s: not-applicable needs a reason", p.Upstream)
		}
	default:
		return fmt.Errorf("%s: status %q: use ported, deferred, not-applicable or todo", p.Upstream, p.Status)
	}
	return nil
}

// EnvAssignments renders the extra env with the run's facts, as env-file
// lines.
func (e *Enrollment) EnvAssignments(facts any) ([]string, error) {
	if e == nil {
		return nil, nil
	}
	var out []string
	for _, name := range sortedKeys(e.Env) {
		v, err := e.render("env."+name, e.Env[name], facts)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(v, "'\n") {
			return nil, &recipe.ConfigError{File: e.File, Key: "env." + name, Msg: "renders to a value with a quote or newline, which an env file cannot hold literally"}
		}
		out = append(out, name+"='"+v+"'") // single quotes: literal, no expansion
	}
	return out, nil
}

// NotApplicableLevels maps ladder levels to the declared reasons.
func (e *Enrollment) NotApplicableLevels() map[int]string {
	out := map[int]string{}
	if e == nil {
		return out
	}
	for name, reason := range e.NotApplicable {
		out[lifecycle.RungKeys()[name]] = reason
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkStreams checks the TCP and UDP probes: each names a service, a
// port or none, and a UDP probe something to send, once per stream.
func (p Probe) checkStreams(file string) error {
	for _, proto := range []struct {
		name   string
		probes []StreamProbe
	}{{"tcp", p.TCP}, {"udp", p.UDP}} {
		seen := map[string]bool{}
		for i, sp := range proto.probes {
			key := fmt.Sprintf("probe.%s[%d]", proto.name, i)
			id := fmt.Sprintf("%s:%d", sp.Service, sp.Port)
			switch {
			case strings.TrimSpace(sp.Service) == "":
				return &recipe.ConfigError{File: file, Key: key + ".service", Msg: "is required: the compose service the stream reaches"}
			case sp.Port < 0 || sp.Port > 65535:
				return &recipe.ConfigError{File: file, Key: key + ".port", Msg: fmt.Sprintf("%d is not a port", sp.Port)}
			case proto.name == "udp" && sp.Send == "" && sp.Skip == "":
				return &recipe.ConfigError{File: file, Key: key + ".send", Msg: "is required for UDP: only an answer to it proves the app is ready (or set skip with a reason)"}
			case sp.Skip != "" && (sp.Send != "" || sp.Expect != ""):
				return &recipe.ConfigError{File: file, Key: key + ".skip", Msg: "leaves the stream unprobed: send and expect would be ignored"}
			case seen[id]:
				return &recipe.ConfigError{File: file, Key: key, Msg: fmt.Sprintf("a second probe of %s %s", proto.name, id)}
			}
			seen[id] = true
		}
	}
	return nil
}

// StreamProbe returns the probe recipe.toml gives the stream of the
// protocol ("tcp" or "udp") reaching port of service: one naming that
// port, else one naming the service without a port when only is set
// (the stream is the service's only one of the protocol).
func (p Probe) StreamProbe(protocol, service string, port int, only bool) (StreamProbe, bool) {
	probes := p.TCP
	if protocol == "udp" {
		probes = p.UDP
	}
	for _, sp := range probes {
		if sp.Service == service && (sp.Port == port || sp.Port == 0 && only) {
			return sp, true
		}
	}
	return StreamProbe{}, false
}
