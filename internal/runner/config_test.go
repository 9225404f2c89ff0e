package runner

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/lease"
)

// Resolving applies every default once, into the run's own config, and
// leaves the caller's options as they were, down to the slices and maps
// they share.
func TestResolveLeavesOptions(t *testing.T) {
	o := Options{
		Source:  Source{Recipe: "example"},
		Stages:  []string{"restore", "install"},
		Deploy:  Deploy{Env: []string{"A=1"}},
		Ingress: Ingress{Probe: Probe{Statuses: []int{204}}, Traefik: Traefik{EntrypointPorts: map[string]int{"ssh": 2222}}},
		Limits:  Limits{MaxTimeout: time.Minute},
	}
	before := o
	before.Stages = slices.Clone(o.Stages)
	before.Deploy.Env = slices.Clone(o.Deploy.Env)
	before.Ingress.Probe.Statuses = slices.Clone(o.Ingress.Probe.Statuses)
	before.Ingress.Traefik.EntrypointPorts = maps.Clone(o.Ingress.Traefik.EntrypointPorts)

	c, err := resolve(o)
	if err != nil {
		t.Fatal(err)
	}
	c.stages[0] = "changed by a stage" // the config owns its slices
	if !reflect.DeepEqual(o, before) {
		t.Errorf("resolve changed the options:\n%+v\nwas\n%+v", o, before)
	}
	for _, tc := range []struct {
		what      string
		got, want any
	}{
		{"stages given", c.stagesGiven, true},
		{"deployer", c.deploy.Deployer, "swarm"},
		{"timeout", c.deploy.Timeout, DefaultTimeout},
		{"connect set", c.deploy.Connect != nil, true},
		{"ingress", c.ingress.Kind, "direct"},
		{"container", c.ingress.Container, "auto"},
		{"max timeout raised to the timeout", c.limits.MaxTimeout, DefaultTimeout},
		{"deadline", c.limits.Deadline, DefaultDeadline},
		{"max output", c.limits.MaxOutput, DefaultMaxOutput},
		{"lock dir set", c.janitor.LockDir != "", true},
		{"grace", c.janitor.Grace, DefaultJanitorGrace},
		{"lease TTL", c.janitor.LeaseTTL, lease.DefaultTTL},
		{"recipes dir", c.source.RecipesDir, enrollment.DefaultRecipesDir()},
		{"out", c.output.Dir, DefaultOut},
		{"progress set", c.output.Progress != nil, true},
		{"log set", c.output.Log != nil, true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.what, tc.got, tc.want)
		}
	}
	c, _ = resolve(o)
	if !slices.Equal(c.stages, []string{StageInstall, StageBackup, StageRestore}) {
		t.Errorf("stages %v: want lifecycle order, restore bringing backup", c.stages)
	}
	if c, _ := resolve(Options{Source: Source{Recipe: "example"}}); c.stagesGiven || !slices.Equal(c.stages, DefaultStages()) {
		t.Errorf("no stages named: %v (given %v), want every stage, not given", c.stages, c.stagesGiven)
	}
}

// Bad options are refused before anything is touched, naming what is wrong.
func TestResolveRefuses(t *testing.T) {
	ok := Source{Recipe: "example"}
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"no recipe":       {Options{}, "--recipe is required"},
		"unknown stage":   {Options{Source: ok, Stages: []string{"bogus"}}, "bogus"},
		"teardown only":   {Options{Source: ok, Stages: []string{"teardown"}}, "nothing to test"},
		"deployer":        {Options{Source: ok, Deploy: Deploy{Deployer: "kubectl"}}, `unknown deployer "kubectl"`},
		"ingress":         {Options{Source: ok, Ingress: Ingress{Kind: "carrier-pigeon"}}, `unknown ingress "carrier-pigeon"`},
		"entrypoint port": {Options{Source: ok, Ingress: Ingress{Traefik: Traefik{EntrypointPorts: map[string]int{"ssh": 70000}}}}, "entrypoint port ssh=70000"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := resolve(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// The enrollment fills what the caller left open (stages, probe) in the
// run's config, and never overrides what the caller named.
func TestApplyEnrollment(t *testing.T) {
	e := &enrollment.Enrollment{Stages: []string{StageLint}, Probe: enrollment.Probe{Path: "/health", Statuses: []int{204}}}
	open, err := resolve(Options{Source: Source{Recipe: "example"}})
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{cfg: open, Enrollment: e}
	r.applyEnrollment()
	if !slices.Equal(r.cfg.stages, []string{StageLint}) || r.cfg.ingress.Probe.Path != "/health" || !slices.Equal(r.cfg.ingress.Probe.Statuses, []int{204}) {
		t.Errorf("left open: stages %v probe %+v, want the enrollment's", r.cfg.stages, r.cfg.ingress.Probe)
	}
	named, err := resolve(Options{Source: Source{Recipe: "example"}, Stages: []string{StageInstall},
		Ingress: Ingress{Probe: Probe{Path: "/", Statuses: []int{200}}}})
	if err != nil {
		t.Fatal(err)
	}
	r = &Run{cfg: named, Enrollment: e}
	r.applyEnrollment()
	if !slices.Equal(r.cfg.stages, []string{StageInstall}) || r.cfg.ingress.Probe.Path != "/" || !slices.Equal(r.cfg.ingress.Probe.Statuses, []int{200}) {
		t.Errorf("named: stages %v probe %+v, want the caller's", r.cfg.stages, r.cfg.ingress.Probe)
	}
}
