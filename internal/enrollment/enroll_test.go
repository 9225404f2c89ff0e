package enrollment

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

func TestParse(t *testing.T) {
	e, err := Parse("recipes/x/recipe.toml", []byte(`
[upgrade]
base = "1.0.0+1.0"

[hooks]
service = "app"
seed = 'cli put "$RECIPE_TEST_MARKER"'
mutate = "cli put mutated"
verify = 'test "$(cli get)" = "$RECIPE_TEST_MARKER"'

[not_applicable]
lint = "upstream image only"
`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Upgrade.Base != "1.0.0+1.0" || e.Hooks.Service != "app" || !e.Hooks.Defined() || !strings.Contains(e.Hooks.Verify, "RECIPE_TEST_MARKER") {
		t.Errorf("decoded %+v", e)
	}
	if got := e.NotApplicableLevels(); len(got) != 1 || got[5] != "upstream image only" {
		t.Errorf("not applicable levels = %v", got)
	}
}

// A scaffold's todo rows need no test and no verifies; PARITY.md shows
// them as TODO.
func TestTodoParityRows(t *testing.T) {
	e, err := Parse("recipes/x/recipe.toml", []byte(`[recipe]
upstream = "https://git.coopcloud.tech/coop-cloud/x.git"
mirror = "https://git.example.org/cc-ci/x.git"

[[parity]]
upstream = "tests/test_login.py"
status = "todo"
`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Recipe.Mirror != "https://git.example.org/cc-ci/x.git" || len(e.Parity) != 1 || e.Parity[0].Status != Todo {
		t.Fatalf("decoded %+v", e)
	}
	md := e.ParityMarkdown("x")
	if !strings.Contains(md, "| `tests/test_login.py` | — | TODO | TODO: not looked at yet |") || !strings.Contains(md, "0 of 1 upstream tests ported") {
		t.Errorf("PARITY.md:\n%s", md)
	}
}

func TestParseErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		doc        string
		line       int
		key, inMsg string
	}{
		"unknown top key":      {"[hooks]\nservice = \"app\"\n\n[hook]\nseed = \"x\"\n", 4, "hook", "unknown key"},
		"unknown nested key":   {"[upgrade]\nbase = \"1.0.0\"\nfrom = \"x\"\n", 3, "upgrade.from", "known here: base"},
		"wrong type":           {"[upgrade]\nbase = 3\n", 2, "upgrade.base", ""},
		"partial hooks":        {"[hooks]\nservice = \"app\"\nseed = \"x\"\n", 0, "hooks", "missing mutate, verify"},
		"bad rung":             {"[not_applicable]\ninstall = \"never\"\n", 0, "not_applicable.install", "not a rung"},
		"rung without reason":  {"[not_applicable]\nupgrade = \" \"\n", 0, "not_applicable.upgrade", "needs a reason"},
		"bad base":             {"[upgrade]\nbase = \"latest\"\n", 0, "upgrade.base", "not a release tag"},
		"syntax":               {"[hooks\n", 1, "", ""},
		"mirror alone":         {"[recipe]\nmirror = \"https://git.example.org/cc-ci/x.git\"\n", 0, "recipe.mirror", "set upstream too"},
		"todo with a test":     {"[[parity]]\nupstream = \"tests/a.py\"\nstatus = \"todo\"\ntest = \"TestA\"\n", 0, "parity[0]", "names no test yet"},
		"grant without reason": {"[[policy.grant]]\nservice = \"app\"\nkey = \"volumes\"\n", 0, "policy.grant[0]", "needs a reason"},
		"grant of a bad key":   {"[[policy.grant]]\nservice = \"app\"\nkey = \"image\"\nreason = \"r\"\n", 0, "policy.grant[0]", "not a service key"},
		"grant typo":           {"[[policy.grant]]\nservice = \"app\"\nkye = \"volumes\"\n", 3, "policy.grant.kye", "known here: service, key, value, reason"},
		"tcp probe typo":       {"[[probe.tcp]]\nservice = \"app\"\nexpcet = \"hi\"\n", 3, "probe.tcp.expcet", "known here: service, port, send, expect, skip"},
		"probe typo":           {"[probe]\nudpp = 1\n", 2, "probe.udpp", "known here: path, statuses, tcp, udp"},
		"tcp probe no service": {"[[probe.tcp]]\nport = 7000\n", 0, "probe.tcp[0].service", "is required"},
		"udp probe no send":    {"[[probe.udp]]\nservice = \"app\"\nexpect = \"x\"\n", 0, "probe.udp[0].send", "is required for UDP"},
		"probe bad port":       {"[[probe.tcp]]\nservice = \"app\"\nport = 70000\n", 0, "probe.tcp[0].port", "70000 is not a port"},
		"probe twice":          {"[[probe.tcp]]\nservice = \"app\"\n[[probe.tcp]]\nservice = \"app\"\nexpect = \"x\"\n", 0, "probe.tcp[1]", "a second probe of tcp app:0"},
		"skip and expect":      {"[[probe.tcp]]\nservice = \"app\"\nskip = \"r\"\nexpect = \"x\"\n", 0, "probe.tcp[0].skip", "would be ignored"},
		"requires typo":        {"[[requires]]\nname = \"kc\"\nfro = \"app\"\n", 3, "requires.fro", "known here: name, upstream, ref, as, for, env, secrets, setup"},
		"setup typo":           {"[[requires]]\nname = \"kc\"\n[[requires.setup]]\nservice = \"kc\"\ncmd = \"x\"\n", 5, "requires.setup.cmd", "known here: service, run, outputs"},
		"requires bad purpose": {"[[requires]]\nname = \"kc\"\n\nfor = \"always\"\n", 4, "requires[0].for", "use \"app\" or \"tests\""},
		"zero weight":          {"[budget]\nweight = 0\n", 2, "budget.weight", "a run takes at least 1 slot"},
		"weight not a number":  {"[budget]\nweight = \"heavy\"\n", 2, "budget.weight", ""},
		"budget typo":          {"[budget]\nwieght = 2\n", 2, "budget.wieght", "known here: weight"},
		"unknown status":       {"[[parity]]\nupstream = \"tests/a.py\"\nstatus = \"done\"\nverifies = \"x\"\n", 0, "parity[0]", "ported, deferred, not-applicable or todo"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("recipes/x/recipe.toml", []byte(tc.doc))
			var ce *recipe.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a ConfigError", err)
			}
			if ce.File != "recipes/x/recipe.toml" || ce.Line != tc.line || ce.Key != tc.key || !strings.Contains(err.Error(), tc.inMsg) {
				t.Errorf("got %q (line %d key %q), want line %d key %q containing %q", err, ce.Line, ce.Key, tc.line, tc.key, tc.inMsg)
			}
			if !recipe.IsInputError(err) {
				t.Error("not an input error")
			}
		})
	}
}

// A recipe weighs what its [budget] says, else one slot, with or without
// an enrollment.
func TestWeight(t *testing.T) {
	for doc, want := range map[string]int{"": 1, "[budget]\n": 1, "[budget]\nweight = 3\n": 3} {
		e, err := Parse("recipes/x/recipe.toml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Weight(); got != want {
			t.Errorf("%q: weight %d, want %d", doc, got, want)
		}
	}
	if got := (*Enrollment)(nil).Weight(); got != DefaultWeight {
		t.Errorf("no enrollment: weight %d", got)
	}
}

func TestParsePolicy(t *testing.T) {
	e, err := Parse("recipes/traefik/recipe.toml", []byte(`
[[policy.grant]]
service = "app"
key = "volumes"
value = "/var/run/docker.sock"
reason = "Traefik reads services and their labels from the Docker API"

[[policy.grant]]
key = "networks.proxy_public"
reason = "the operator's second ingress network"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []recipe.Grant{
		{Service: "app", Key: "volumes", Value: "/var/run/docker.sock", Reason: "Traefik reads services and their labels from the Docker API"},
		{Key: "networks.proxy_public", Reason: "the operator's second ingress network"},
	}
	if got := e.Grants(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("grants = %+v", got)
	}
	if (*Enrollment)(nil).Grants() != nil {
		t.Error("no enrollment, yet grants")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "recipe.toml") || !recipe.IsInputError(err) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("[upgrade]\nbase = \"1.0.0\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Load(dir)
	if err != nil || e.Upgrade.Base != "1.0.0" || e.File != filepath.Join(dir, FileName) {
		t.Errorf("Load = %+v, %v", e, err)
	}
}

func TestParseStreamProbes(t *testing.T) {
	e, err := Parse("recipes/x/recipe.toml", []byte(`
[probe]
path = "/health"

[[probe.tcp]]
service = "echo"
expect = "echo ready"

[[probe.udp]]
service = "echo"
port = 7001
send = "ping\n"
expect = "pong"

[[probe.udp]]
service = "voice"
skip = "answers only a real client's handshake"
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		proto, svc string
		port       int
		only, ok   bool
		want       string
	}{
		{"tcp", "echo", 7000, true, true, "echo ready"},
		{"tcp", "echo", 7000, false, false, ""}, // the service has other TCP streams: a probe without a port names none
		{"udp", "echo", 7001, false, true, "pong"},
		{"udp", "echo", 7002, true, false, ""},
		{"tcp", "other", 7000, true, false, ""},
	} {
		sp, ok := e.Probe.StreamProbe(tc.proto, tc.svc, tc.port, tc.only)
		if ok != tc.ok || sp.Expect != tc.want {
			t.Errorf("StreamProbe(%s, %s, %d, %v) = %+v, %v", tc.proto, tc.svc, tc.port, tc.only, sp, ok)
		}
	}
	if sp, _ := e.Probe.StreamProbe("udp", "echo", 7001, false); sp.Send != "ping\n" {
		t.Errorf("send = %q", sp.Send)
	}
	if sp, ok := e.Probe.StreamProbe("udp", "voice", 9, true); !ok || sp.Skip == "" {
		t.Errorf("voice = %+v, %v", sp, ok)
	}
}

func TestParseRequires(t *testing.T) {
	doc := `[recipe]
name = "sso-app"

[[requires]]
name = "oidc-provider"
env.OIDC_ISSUER = "{{ .Deps.oidc_provider.URL }}"
[[requires.setup]]
service = "op"
run = "op-admin client"
outputs = ["client_id"]
`
	e, err := Parse("recipes/sso-app/recipe.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Requires) != 1 || e.Requires[0].Key() != "oidc_provider" || e.Requires[0].Env["OIDC_ISSUER"] == "" || e.Requires[0].Setup[0].Outputs[0] != "client_id" {
		t.Errorf("requires = %+v", e.Requires)
	}
	if got := e.Lines().Line("requires[0].setup[0].run"); got != 9 {
		t.Errorf("line of requires[0].setup[0].run = %d, want 9", got)
	}
}
