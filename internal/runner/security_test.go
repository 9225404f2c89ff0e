package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// hostileSuffix keeps the hostile runs' names apart: nothing on the swarm
// may ever carry it.
const hostileSuffix = "hostile.test"

func hostileFixture(t *testing.T, name string) string {
	return filepath.Join(testenv.RepoRoot(t), "testdata", "hostile", name)
}

// copyRecipe copies a fixture recipe into a temporary folder the test may
// change, as a pull request would.
func copyRecipe(t *testing.T, src string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// assertNothingNamed fails when any swarm object or container has part in
// its name: a refused plan must have created nothing.
func assertNothingNamed(t *testing.T, api *client.Client, part string) {
	t.Helper()
	ctx := context.Background()
	var names []string
	svcs, err := api.ServiceList(ctx, client.ServiceListOptions{})
	must(t, err)
	for _, s := range svcs.Items {
		names = append(names, "service "+s.Spec.Name)
	}
	secs, err := api.SecretList(ctx, client.SecretListOptions{})
	must(t, err)
	for _, s := range secs.Items {
		names = append(names, "secret "+s.Spec.Name)
	}
	cfgs, err := api.ConfigList(ctx, client.ConfigListOptions{})
	must(t, err)
	for _, c := range cfgs.Items {
		names = append(names, "config "+c.Spec.Name)
	}
	nets, err := api.NetworkList(ctx, client.NetworkListOptions{})
	must(t, err)
	for _, n := range nets.Items {
		names = append(names, "network "+n.Name)
	}
	vols, err := api.VolumeList(ctx, client.VolumeListOptions{})
	must(t, err)
	for _, v := range vols.Items {
		names = append(names, "volume "+v.Name)
	}
	ctrs, err := api.ContainerList(ctx, client.ContainerListOptions{All: true})
	must(t, err)
	for _, c := range ctrs.Items {
		names = append(names, "container "+strings.Join(c.Names, ","))
	}
	for _, n := range names {
		if strings.Contains(n, part) {
			t.Errorf("a refused plan left %s", n)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Each hostile recipe is refused at plan time with exit-code-2 input
// errors naming the compose file, the service or object and the key, and
// nothing reaches the swarm.
func TestHostileRecipesRefusedAtPlan(t *testing.T) {
	testenv.Swarm(t)
	outside := filepath.Join(t.TempDir(), "runner-file")
	must(t, os.WriteFile(outside, []byte("the runner's"), 0o600))
	example := fixture(t, "example")
	linkedConfig := copyRecipe(t, example, nil)
	must(t, os.Remove(filepath.Join(linkedConfig, "app.conf.tmpl")))
	must(t, os.Symlink(outside, filepath.Join(linkedConfig, "app.conf.tmpl")))
	for name, tc := range map[string]struct {
		recipe string
		env    []string
		want   []string
	}{
		"host access": {recipe: hostileFixture(t, "host"), want: []string{
			"compose.yml: services.app.volumes: bind-mounts host path /var/run/docker.sock, which exposes the Docker socket",
			"compose.yml: services.app.volumes: bind-mounts host path /,",
			"compose.yml: services.app.cap_add: adds capability SYS_ADMIN",
			`compose.yml: secrets.theirs: is named "other-app_example_com_db_password_v1", outside the run's namespace`,
			`compose.yml: networks.hostnet: is named "host"`,
		}},
		"overlay from a pull request": {
			recipe: copyRecipe(t, example, map[string]string{"compose.pr.yml": "version: \"3.8\"\nservices:\n  backend:\n    volumes: [\"/etc:/host-etc:ro\"]\n"}),
			env:    []string{`COMPOSE_FILE="compose.yml:compose.pr.yml"`},
			want:   []string{"compose.pr.yml: services.backend.volumes: bind-mounts host path /etc"},
		},
		"secret read from a host file": {
			recipe: copyRecipe(t, example, map[string]string{"compose.pr.yml": "version: \"3.8\"\nservices:\n  app:\n    secrets: [host_key]\nsecrets:\n  host_key:\n    file: " + outside + "\n"}),
			env:    []string{`COMPOSE_FILE="compose.yml:compose.pr.yml"`},
			want:   []string{"compose.pr.yml: secrets.host_key.file: " + outside + " is outside the recipe"},
		},
		"config symlinked to a host file": {recipe: linkedConfig, want: []string{
			"compose.yml: configs.app_conf.file: app.conf.tmpl is a symlink to " + outside + ", which is outside the recipe"}},
	} {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			res, err := Execute(context.Background(), Options{Source: Source{Recipe: tc.recipe},
				Deploy:  Deploy{Env: tc.env},
				Ingress: Ingress{DomainSuffix: hostileSuffix},
				Janitor: Janitor{LockDir: t.TempDir(), Off: true},
				Output:  Output{Dir: out}})
			var pe *PlanError
			if !errors.As(err, &pe) || !recipe.IsInputError(err) {
				t.Fatalf("err = %v, want an input PlanError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if len(res.Stages) != 0 || res.Status != results.Fail {
				t.Errorf("stages ran: %+v", res.Stages)
			}
			if md, _ := os.ReadFile(filepath.Join(out, ReportFile)); !strings.Contains(string(md), "refused by the deploy policy") && !strings.Contains(string(md), "outside the recipe") {
				t.Errorf("report.md does not say why:\n%s", md)
			}
			assertNothingNamed(t, apiClient(t), strings.ReplaceAll(hostileSuffix, ".", "_"))
		})
	}
}

// A grant in the reviewed enrollment lets the plan through, and the
// report lists it with its reason; the same grant inside the recipe's own
// folder (where a pull request could write it) stops the run.
func TestGrantsComeFromTheEnrollmentOnly(t *testing.T) {
	const grants = `
[[policy.grant]]
service = "app"
key = "volumes"
reason = "the fixture's test of grants: the Docker socket and the host root"

[[policy.grant]]
service = "app"
key = "cap_add"
value = "SYS_ADMIN"
reason = "the fixture's test of grants: a capability"

[[policy.grant]]
key = "secrets.theirs"
reason = "the fixture's test of grants: another app's secret"
`
	t.Run("inside the recipe", func(t *testing.T) {
		dir := copyRecipe(t, hostileFixture(t, "host"), map[string]string{"recipe.toml": grants})
		_, err := Execute(context.Background(), Options{Source: Source{Recipe: dir, Enrollment: dir},
			Ingress: Ingress{DomainSuffix: hostileSuffix},
			Janitor: Janitor{LockDir: t.TempDir(), Off: true},
			Output:  Output{Dir: t.TempDir()}})
		if !recipe.IsInputError(err) || !strings.Contains(err.Error(), "recipe.toml: policy.grant: grants are honoured only from a reviewed enrollment outside the recipe") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a grant short", func(t *testing.T) {
		// networks.hostnet is not granted: the run is still refused, on
		// that alone.
		_, err := Execute(context.Background(), Options{Source: Source{Recipe: hostileFixture(t, "host"), Enrollment: writeEnrollment(t, grants)},
			Ingress: Ingress{DomainSuffix: hostileSuffix},
			Janitor: Janitor{LockDir: t.TempDir(), Off: true},
			Output:  Output{Dir: t.TempDir()}})
		if !recipe.IsInputError(err) || !strings.Contains(err.Error(), "networks.hostnet") || strings.Contains(err.Error(), "services.app") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("reviewed", func(t *testing.T) {
		testenv.Swarm(t)
		all := grants + "\n[[policy.grant]]\nkey = \"networks.hostnet\"\nvalue = \"host\"\nreason = \"the fixture's test of grants: the host network\"\n"
		out := t.TempDir()
		// The lint stage deploys nothing: the plan, its grants and the
		// report are what this test is about.
		res, err := Execute(context.Background(), Options{Source: Source{Recipe: hostileFixture(t, "host"), Enrollment: writeEnrollment(t, all)},
			Stages:  []string{StageLint},
			Ingress: Ingress{DomainSuffix: hostileSuffix},
			Janitor: Janitor{LockDir: t.TempDir(), Off: true},
			Output:  Output{Dir: out}})
		if err != nil {
			t.Fatalf("err = %v", err)
		}
		if len(res.Grants) != 4 || res.Grants[0] != (results.Grant{Service: "app", Key: "volumes", Reason: "the fixture's test of grants: the Docker socket and the host root"}) {
			t.Errorf("grants in the results: %+v", res.Grants)
		}
		md, _ := os.ReadFile(filepath.Join(out, ReportFile))
		for _, want := range []string{"Policy grants used (4, from the reviewed enrollment)", "- `services.app.cap_add SYS_ADMIN`: the fixture's test of grants: a capability",
			"- `networks.hostnet host`: the fixture's test of grants: the host network"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("report.md lacks %q:\n%s", want, md)
			}
		}
		js, _ := os.ReadFile(filepath.Join(out, ResultsFile))
		if !strings.Contains(string(js), `"grants": [`) {
			t.Errorf("results.json has no grants:\n%s", js)
		}
		assertNothingNamed(t, apiClient(t), strings.ReplaceAll(hostileSuffix, ".", "_"))
	})
}

// An env_file line holding only a key is filled from the app's env, never
// from recipe-test's own process environment, on the real swarm: neither
// the deployed service spec nor the running container's environment holds
// any of the runner's tokens.
func TestEnvFileGetsNothingFromTheRunner(t *testing.T) {
	tokens := map[string]string{
		"GITHUB_TOKEN":       "ghp_runnerTokenThatMustNotLeak1",
		"INPUT_ENROLL-TOKEN": "enrollTokenThatMustNotLeak2",
		"INPUT_TOKEN":        "inputTokenThatMustNotLeak3",
	}
	for k, v := range tokens {
		t.Setenv(k, v)
	}
	compose, err := os.ReadFile(filepath.Join(fixture(t, "example"), "compose.yml"))
	must(t, err)
	const anchor = "    image: recipe-test-fixtures/webapp:1\n"
	if !strings.Contains(string(compose), anchor) {
		t.Fatal("the example's compose file changed: update this test's anchor")
	}
	hostile := strings.Replace(string(compose), anchor, anchor+"    env_file: [app.env]\n", 1)
	dir := copyRecipe(t, fixture(t, "example"), map[string]string{
		"compose.yml": hostile,
		"app.env":     "GITHUB_TOKEN\nINPUT_ENROLL-TOKEN\nINPUT_TOKEN\nDOMAIN\nFROM_FILE=literal $HOME\n",
	})
	api := apiClient(t)
	checked := false
	opts := Options{Source: Source{Recipe: dir}, Stages: []string{StageInstall}}
	res, _ := execute(t, opts, func(ctx context.Context, _ string, r *Run) {
		checked = true
		inspectEnv(t, ctx, api, r.App.Stack, r.App.Domain, tokens)
	})
	if st := stage(t, res, StageInstall); st.Status != results.Pass {
		t.Fatalf("install: %+v", st)
	}
	if !checked {
		t.Fatal("the deployment was never inspected")
	}
}

// inspectEnv reads every service spec and container of stack through the
// Engine API and fails on any token value or name; the app's own env_file
// values must be there (the check would otherwise prove nothing).
func inspectEnv(t *testing.T, ctx context.Context, api *client.Client, stack, domain string, tokens map[string]string) {
	t.Helper()
	f := client.Filters{}.Add("label", swarm.LabelNamespace+"="+stack)
	svcs, err := api.ServiceList(ctx, client.ServiceListOptions{Filters: f})
	must(t, err)
	ctrs, err := api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	must(t, err)
	if len(svcs.Items) == 0 || len(ctrs.Items) == 0 {
		t.Fatalf("stack %s: %d services, %d containers", stack, len(svcs.Items), len(ctrs.Items))
	}
	leaks := func(what, raw string) {
		for k, v := range tokens {
			if strings.Contains(raw, v) || strings.Contains(raw, `"`+k+`=`) {
				t.Errorf("%s holds the runner's %s", what, k)
			}
		}
	}
	sawApp := false
	for _, s := range svcs.Items {
		got, err := api.ServiceInspect(ctx, s.ID, client.ServiceInspectOptions{})
		must(t, err)
		leaks("service spec "+s.Spec.Name, string(got.Raw))
		if s.Spec.Name != stack+"_app" {
			continue
		}
		sawApp = true
		env := strings.Join(got.Service.Spec.TaskTemplate.ContainerSpec.Env, "\n")
		for _, want := range []string{"DOMAIN=" + domain, "FROM_FILE=literal $HOME"} {
			if !strings.Contains(env, want) {
				t.Errorf("the app's spec lacks %q from its env_file:\n%s", want, env)
			}
		}
	}
	if !sawApp {
		t.Errorf("no service %s_app", stack)
	}
	for _, c := range ctrs.Items {
		got, err := api.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		must(t, err)
		leaks("container "+strings.Join(c.Names, ","), string(got.Raw))
	}
}

// A checkout that commits the output folder's files as symlinks to the
// runner's files gets none of them written: every output replaces the
// symlink with a file of its own; an output folder that is itself a
// symlink is refused.
func TestOutputsStayInTheirFolder(t *testing.T) {
	host := t.TempDir()
	victim := filepath.Join(host, "victim")
	must(t, os.WriteFile(victim, []byte("the runner's file"), 0o600))
	victimDir := filepath.Join(host, "dir")
	must(t, os.Mkdir(victimDir, 0o755))
	checkout := t.TempDir()
	out := filepath.Join(checkout, "recipe-test-results")
	must(t, os.Mkdir(out, 0o755))
	for _, name := range []string{ReportFile, ResultsFile, JUnitFile} {
		must(t, os.Symlink(victim, filepath.Join(out, name)))
	}
	for _, name := range []string{BackupDir, CustomDir} {
		must(t, os.Symlink(victimDir, filepath.Join(out, name)))
	}
	// A recipe that fails its plan still gets its report written: the
	// quickest way to every output, with no swarm needed.
	bad := copyRecipe(t, fixture(t, "example"), map[string]string{".env.sample": "TYPE=bad\nCOMPOSE_FILE=compose.missing.yml\n"})
	_, err := Execute(context.Background(), Options{Source: Source{Recipe: bad},
		Janitor: Janitor{Off: true, LockDir: t.TempDir()},
		Output:  Output{Dir: out}})
	if !recipe.IsInputError(err) {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(victim); string(data) != "the runner's file" {
		t.Errorf("a symlink's target was overwritten: %q", data)
	}
	if entries, _ := os.ReadDir(victimDir); len(entries) != 0 {
		t.Errorf("written into a symlinked folder's target: %v", entries)
	}
	for _, name := range []string{ReportFile, ResultsFile, JUnitFile} {
		st, err := os.Lstat(filepath.Join(out, name))
		if err != nil || !st.Mode().IsRegular() {
			t.Errorf("%s: %v, %v", name, st, err)
		}
	}
	if md, _ := os.ReadFile(filepath.Join(out, ReportFile)); !strings.Contains(string(md), "compose.missing.yml") {
		t.Errorf("report.md:\n%s", md)
	}

	link := filepath.Join(checkout, "linked-results")
	must(t, os.Symlink(victimDir, link))
	_, err = Execute(context.Background(), Options{Source: Source{Recipe: bad},
		Janitor: Janitor{Off: true, LockDir: t.TempDir()},
		Output:  Output{Dir: link}})
	var pe *PlanError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "is a symlink") {
		t.Errorf("a symlinked output folder: %v", err)
	}
	if entries, _ := os.ReadDir(victimDir); len(entries) != 0 {
		t.Errorf("written through the symlinked output folder: %v", entries)
	}
}

// The backup stage's archives land in a real folder of the run's own,
// replacing whatever the checkout committed at their names: a symlinked
// backup folder or archive is never written through.
func TestBackupArchivesFollowNoSymlink(t *testing.T) {
	host := t.TempDir()
	victim := filepath.Join(host, "victim")
	must(t, os.WriteFile(victim, []byte("the runner's file"), 0o600))
	for name, plant := range map[string]func(out string){
		"archive": func(out string) {
			must(t, os.Mkdir(filepath.Join(out, BackupDir), 0o755))
			must(t, os.Symlink(victim, filepath.Join(out, BackupDir, "app.tar")))
		},
		"folder": func(out string) { must(t, os.Symlink(host, filepath.Join(out, BackupDir))) },
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "recipe-test-results")
			must(t, os.Mkdir(out, 0o755))
			plant(out)
			res, _ := execute(t, Options{Source: Source{Recipe: fixture(t, "example")},
				Stages: []string{StageInstall, StageBackup},
				Output: Output{Dir: out}})
			if st := stage(t, res, StageBackup); st.Status != results.Pass {
				t.Fatalf("backup: %+v", st)
			}
			if data, _ := os.ReadFile(victim); string(data) != "the runner's file" {
				t.Errorf("the symlink's target was overwritten (%d bytes)", len(data))
			}
			if entries, _ := os.ReadDir(host); len(entries) != 1 {
				t.Errorf("written into the symlinked folder's target: %v", entries)
			}
			for _, p := range []string{filepath.Join(out, BackupDir), filepath.Join(out, BackupDir, "app.tar")} {
				st, err := os.Lstat(p)
				if err != nil || st.Mode()&os.ModeSymlink != 0 || st.Size() == 0 {
					t.Errorf("%s: %v, %v", p, st, err)
				}
			}
		})
	}
}
