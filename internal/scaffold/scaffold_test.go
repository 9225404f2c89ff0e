package scaffold

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// corpusVersions reads a corpus recipe's TAGS.txt (`tag type date`, oldest
// first) as versions.
func corpusVersions(t *testing.T, name string) []recipe.Version {
	t.Helper()
	var out []recipe.Version
	for _, tag := range testenv.CorpusTags(t, name) {
		v, err := recipe.ParseVersion(tag)
		if err != nil {
			t.Fatalf("%s TAGS.txt: %v", name, err)
		}
		out = append(out, v)
	}
	return out
}

// corpusNames lists the recipes of the shared corpus.
func corpusNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(testenv.CorpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatal("the corpus holds no recipes")
	}
	return names
}

func detectCorpus(t *testing.T, name string) *Detection {
	t.Helper()
	d, err := Detect(testenv.CorpusCopy(t, name, true), corpusVersions(t, name))
	if err != nil {
		t.Fatalf("detect %s: %v", name, err)
	}
	return d
}

func opts(name string) Options {
	return Options{Name: name, Upstream: "https://git.coopcloud.tech/coop-cloud/" + name + ".git",
		Mirror: "https://git.ci.example.org/mirror/" + name + ".git"}
}

// scaffoldInto renders d as the enrollment name and writes it into dir,
// then loads it back and checks its parity table.
func scaffoldInto(t *testing.T, d *Detection, o Options, dir string) (*enrollment.Enrollment, map[string][]byte) {
	t.Helper()
	files, err := Files(d, o)
	if err != nil {
		t.Fatalf("files %s: %v", o.Name, err)
	}
	writeFiles(t, dir, files)
	e, err := enrollment.Load(dir)
	if err != nil {
		t.Fatalf("load the written %s:\n%s\n%v", o.Name, files[enrollment.FileName], err)
	}
	if err := e.CheckParity(o.Name); err != nil {
		t.Errorf("parity check of %s: %v", o.Name, err)
	}
	return e, files
}

// writeFiles writes a scaffold's files into dir, creating it.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// goCommand runs the go tool in the module root, outside any recipe-test
// run, and returns its combined output.
func goCommand(t *testing.T, root string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("go")
	if err != nil {
		bin = "/usr/local/go/bin/go" // where the README installs it
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, harness.FactsEnv+"=") })
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Every bundled fixture recipe and every corpus recipe (when the corpus is
// beside the checkout) scaffolds into an enrollment that loads, passes the
// parity check, and whose Go tests vet and pass (by skipping) as a package
// of this module. Awkward names (a digit first, a Go keyword, a GOOS
// suffix) are scaffolded too, from the last detection.
func TestScaffoldBuilds(t *testing.T) {
	root := testenv.RepoRoot(t)
	testdata := filepath.Join(root, "internal", "scaffold", "testdata")
	if err := os.MkdirAll(testdata, 0o755); err != nil {
		t.Fatal(err)
	}
	gen, err := os.MkdirTemp(testdata, "gen-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.RemoveAll(gen)
		_ = os.Remove(testdata) // only when empty: nothing of ours is left
	})
	type source struct {
		name, dir string
		versions  []recipe.Version
	}
	sources := []source{
		{"example", filepath.Join(root, "testdata", "recipes", "example"), nil},
		{"upgrade", filepath.Join(root, "testdata", "recipes", "upgrade", "2.0.0+2.0"),
			[]recipe.Version{must(recipe.ParseVersion("1.0.0+1.0")), must(recipe.ParseVersion("2.0.0+2.0"))}},
	}
	if _, err := os.Stat(filepath.Join(root, "..", "shared", "corpus", "recipes")); err == nil {
		for _, name := range corpusNames(t) {
			sources = append(sources, source{name, testenv.CorpusCopy(t, name, true), corpusVersions(t, name)})
		}
	} else {
		t.Log("the corpus is not beside the checkout: bundled fixtures only")
	}
	var names []string
	var last *Detection
	for _, src := range sources {
		name := src.name
		d, err := Detect(src.dir, src.versions)
		if err != nil {
			t.Fatalf("detect %s: %v", name, err)
		}
		if d.Recipe != name {
			t.Errorf("%s: detected recipe name %q", name, d.Recipe)
		}
		if len(d.Versions) != len(src.versions) {
			t.Errorf("%s: versions %v, want %d", name, d.Versions, len(src.versions))
		}
		switch name {
		case "example": // lint clean, as the main job shows
			if len(d.Lint) != 0 {
				t.Errorf("example: lint %q", d.Lint)
			}
		case "upgrade": // no README in the release folder; the versions given carry no notes
			if !slices.Equal(d.Lint, []string{"warning R007 readme-metadata: README.md is missing", "warning ours release-notes: release 2.0.0+2.0 has no release/2.0.0+2.0"}) || d.LintErrors != 0 {
				t.Errorf("upgrade: lint %q (%d errors)", d.Lint, d.LintErrors)
			}
		}
		e, files := scaffoldInto(t, d, opts(name), filepath.Join(t.TempDir(), name))
		if e.Recipe.Name != name || e.Recipe.Upstream != opts(name).Upstream || e.Recipe.Mirror != opts(name).Mirror {
			t.Errorf("%s: [recipe] = %+v", name, e.Recipe)
		}
		if e.Hooks.Defined() {
			t.Errorf("%s: the scaffold declares hooks %+v; they must stay commented out", name, e.Hooks)
		}
		writeFiles(t, filepath.Join(gen, name), files)
		names, last = append(names, name), d
	}
	for _, name := range []string{"2fa-auth", "go", "relay-linux", "x.y_z"} {
		files, err := Files(last, opts(name))
		if err != nil {
			t.Fatalf("files %s: %v", name, err)
		}
		writeFiles(t, filepath.Join(gen, name), files)
		names = append(names, name)
	}
	pattern := "./" + filepath.ToSlash(must(filepath.Rel(root, gen))) + "/..."
	goCommand(t, root, "vet", pattern)
	out := goCommand(t, root, "test", "-count=1", "-v", pattern)
	if n := strings.Count(out, "--- SKIP: TestHomePage"); n != len(names) {
		t.Errorf("go test ran TestHomePage (skipping) %d times, want %d:\n%s", n, len(names), out)
	}
	for _, name := range names {
		pkg := "recipe-test/v2/internal/scaffold/testdata/" + filepath.Base(gen) + "/" + name
		if !strings.Contains(out, "ok  \tgithub.com/cc-ci/"+pkg) {
			t.Errorf("go test did not pass package %s:\n%s", pkg, out)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestDetectBonfire(t *testing.T) {
	versions := corpusVersions(t, "bonfire")
	slices.Reverse(versions) // Detect sorts them
	d, err := Detect(testenv.CorpusCopy(t, "bonfire", true), versions)
	if err != nil {
		t.Fatal(err)
	}
	if d.Recipe != "bonfire" || !slices.Equal(d.ComposeFiles, []string{"compose.yml", "compose.postgres.yml"}) {
		t.Errorf("recipe %q compose files %v", d.Recipe, d.ComposeFiles)
	}
	wantServices := []Service{
		{Name: "app", Image: "bonfirenetworks/bonfire:1.0.6-social-amd64", Routers: []string{"host $DOMAIN path / port 4000"},
			Healthcheck: "curl -f http://localhost:4000", Backup: "volume upload-data (all of it) / saves /opt/app/data/uploads"},
		{Name: "db", Image: "ghcr.io/baosystems/postgis:17-3.5", Healthcheck: "pg_isready -h localhost -U $POSTGRES_USER",
			Backup: "volume db-data (paths: backup.sql) / pre-hook `/pg_backup.sh backup` / restore post-hook `/pg_backup.sh restore` / saves /var/lib/postgresql/data/backup.sql"},
	}
	if !slices.EqualFunc(d.Services, wantServices, serviceEqual) {
		t.Errorf("services:\n got %+v\nwant %+v", d.Services, wantServices)
	}
	if d.Probe.Service != "app" || d.Probe.Path != "/" || d.Probe.Statuses != nil || !strings.Contains(d.Probe.Why, "no healthcheck") {
		t.Errorf("probe = %+v", d.Probe)
	}
	wantBackup := []string{"app: " + wantServices[0].Backup, "db: " + wantServices[1].Backup}
	if !slices.Equal(d.Backup, wantBackup) || d.HookService != "app" {
		t.Errorf("backup %q hook service %q", d.Backup, d.HookService)
	}
	wantSecrets := map[string]int{"encryption_salt": 128, "livebook_password": 0, "postgres_password": 0,
		"release_cookie": 0, "secret_key_base": 128, "seeds_pw": 0, "signing_salt": 128}
	got := map[string]int{}
	for _, s := range d.Secrets {
		got[s.Name] = s.Length
		if !s.Generate || !s.External || s.Charset != "" {
			t.Errorf("secret %+v", s)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(wantSecrets) {
		t.Errorf("secrets %v, want %v", got, wantSecrets)
	}
	wantVersions := []string{"1.0.0+1.0.5-social-amd64", "2.0.0+1.0.5-social-amd64", "2.0.1+1.0.6-social-amd64"}
	if !slices.Equal(d.Versions, wantVersions) {
		t.Errorf("versions %v", d.Versions)
	}
	if len(d.UpstreamTests) != 0 {
		t.Errorf("upstream tests %v", d.UpstreamTests)
	}
	if !slices.ContainsFunc(d.Warnings, func(w string) bool { return strings.HasPrefix(w, "service db: its backup runs a pre-hook") }) {
		t.Errorf("warnings %q lack the db dump", d.Warnings)
	}

	files, err := Files(d, opts("bonfire"))
	if err != nil {
		t.Fatal(err)
	}
	toml := string(files[enrollment.FileName])
	for _, want := range []string{
		"#   secret_key_base: length 128\n",
		"#   postgres_password: no length hint (32 characters)\n",
		"#   app: bonfirenetworks/bonfire:1.0.6-social-amd64\n",
		"# Releases, oldest first: 1.0.0+1.0.5-social-amd64, 2.0.0+1.0.5-social-amd64,\n# 2.0.1+1.0.6-social-amd64. The upgrade stage starts from the newest release\n# older than the ref under test",
		"# [hooks]\n# service = \"app\"\n# seed = ",
		"#   - db: volume db-data (paths: backup.sql) / pre-hook `/pg_backup.sh backup`",
		"[probe]\npath = \"/\"\n# statuses: unset",
		"Generated by `recipe-test enroll`",
	} {
		if !strings.Contains(toml, want) {
			t.Errorf("recipe.toml lacks %q:\n%s", want, toml)
		}
	}
	if strings.Contains(toml, "[[parity]]\n") {
		t.Errorf("recipe.toml has parity rows without upstream tests:\n%s", toml)
	}
	e, err := enrollment.Parse("recipe.toml", files[enrollment.FileName])
	if err != nil {
		t.Fatal(err)
	}
	if e.Probe.Path != "/" || len(e.Probe.Statuses) != 0 || len(e.Parity) != 0 {
		t.Errorf("parsed probe %+v parity %+v", e.Probe, e.Parity)
	}
}

func serviceEqual(a, b Service) bool {
	return a.Name == b.Name && a.Image == b.Image && slices.Equal(a.Routers, b.Routers) &&
		a.Healthcheck == b.Healthcheck && a.Backup == b.Backup
}

// llamenos's router is on web, an nginx without healthcheck; the app's own
// /api/health healthcheck is on a service no router reaches.
func TestDetectLlamenos(t *testing.T) {
	d := detectCorpus(t, "llamenos")
	var names []string
	for _, s := range d.Services {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"app", "db", "minio", "relay", "web"}) {
		t.Errorf("services %v", names)
	}
	if d.Probe.Service != "web" || d.Probe.Path != "/" || d.Probe.Statuses != nil {
		t.Errorf("probe %+v", d.Probe)
	}
	// latest is abra's warning R004, not an error.
	if !slices.ContainsFunc(d.Lint, func(l string) bool {
		return strings.HasPrefix(l, "warning R004 no-latest: ") && strings.Contains(l, "service app: image ghcr.io/rhonda-rodododo/llamenos:latest")
	}) {
		t.Errorf("lint %d errors: %q", d.LintErrors, d.Lint)
	}
	wantBackup := []string{"db: volume postgres-data (all of it) / saves /var/lib/postgresql/data", "minio: paths /data / saves /data"}
	if !slices.Equal(d.Backup, wantBackup) || d.HookService != "db" {
		t.Errorf("backup %q hook service %q", d.Backup, d.HookService)
	}
	wantSecrets := []Secret{
		{Name: "db_password", Length: 32, Generate: true, Charset: "alnum", External: true},
		{Name: "hmac_secret", Length: 64, Generate: true, Charset: "hex", External: true},
		{Name: "minio_access", Length: 20, Generate: true, Charset: "alnum", External: true},
		{Name: "minio_secret", Length: 40, Generate: true, Charset: "alnum", External: true},
		{Name: "server_nostr", Length: 64, Generate: true, Charset: "hex", External: true},
	}
	if !slices.Equal(d.Secrets, wantSecrets) {
		t.Errorf("secrets %+v", d.Secrets)
	}
	for _, want := range []string{
		"service app: backupbot.backup=true but it mounts no volume and names no path: nothing to save",
		"service db: label backupbot.backup.command is not acted on by this backup",
	} {
		if !slices.Contains(d.Warnings, want) {
			t.Errorf("warnings %q lack %q", d.Warnings, want)
		}
	}
	if len(d.Versions) != 0 {
		t.Errorf("versions %v", d.Versions)
	}
	files, err := Files(d, opts("llamenos"))
	if err != nil {
		t.Fatal(err)
	}
	toml := string(files[enrollment.FileName])
	for _, want := range []string{"# service = \"db\"\n", "#   hmac_secret: length 64, charset hex\n", "# Releases: none yet"} {
		if !strings.Contains(toml, want) {
			t.Errorf("recipe.toml lacks %q:\n%s", want, toml)
		}
	}
}

func TestDetectRoutersWithoutBackup(t *testing.T) {
	for name, want := range map[string]Service{
		"gaseous":     {Name: "app", Image: "gaseousgames/gaseousserver:latest", Routers: []string{"host $DOMAIN path / port 80"}},
		"go-ssb-room": {Name: "app", Image: "3wordchant/go-ssb-room:2.0.3", Routers: []string{`host $DOMAIN,{subdomain:\w+}.$DOMAIN path / port 3000`}},
	} {
		t.Run(name, func(t *testing.T) {
			d := detectCorpus(t, name)
			if len(d.Services) == 0 || !serviceEqual(d.Services[0], want) {
				t.Errorf("services %+v, want first %+v", d.Services, want)
			}
			if d.Probe.Service != "app" || d.Probe.Path != "/" || len(d.Backup) != 0 || d.HookService != "" || len(d.Secrets) != 0 {
				t.Errorf("detection %+v", d)
			}
			files, err := Files(d, opts(name))
			if err != nil {
				t.Fatal(err)
			}
			if toml := string(files[enrollment.FileName]); strings.Contains(toml, "[hooks]\n") {
				t.Errorf("recipe.toml proposes hooks without a backed-up service:\n%s", toml)
			}
		})
	}
}

func TestUpstreamTests(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "example")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tests/test_health.py", "tests/e2e/login.spec.ts", "scripts/run.sh", ".git/tests/hook_test.py"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("# test\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Detect(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tests/e2e/login.spec.ts", "tests/test_health.py"}
	if !slices.Equal(d.UpstreamTests, want) {
		t.Fatalf("upstream tests %q, want %q", d.UpstreamTests, want)
	}
	e, files := scaffoldInto(t, d, opts("example"), t.TempDir())
	if len(e.Parity) != 2 {
		t.Fatalf("parity rows %+v", e.Parity)
	}
	for i, row := range e.Parity {
		if row.Upstream != want[i] || row.Status != enrollment.Todo || row.Test != "" {
			t.Errorf("parity row %d = %+v", i, row)
		}
	}
	md := string(files[enrollment.ParityFile])
	for _, w := range want {
		if row := "| `" + w + "` | — | TODO | TODO: not looked at yet |"; !strings.Contains(md, row) {
			t.Errorf("PARITY.md lacks %q:\n%s", row, md)
		}
	}
}

func TestIsTestFile(t *testing.T) {
	for path, want := range map[string]bool{
		"tests/x.txt": true, "a/test/b/c.sh": true, "pkg/foo_test.go": true, "test_api.py": true,
		"api_test.py": true, "smoke.bats": true, "ci/check.test.sh": true, "web/a.spec.js": true,
		"web/a.spec.ts": true, "a.test.js": true, "a.test.ts": true,
		"test": false, "tests.md": false, "testing/x.py": false, "scripts/run.sh": false,
		"compose.yml": false, "latest/x.py": false, "contest_a.py": false,
	} {
		if got := isTestFile(path); got != want {
			t.Errorf("isTestFile(%q) = %v, want %v", path, got, want)
		}
	}
}

// miniRecipe writes a one-service recipe; labels and healthcheck are YAML
// lines for the app service ("" = none).
func miniRecipe(t *testing.T, labels []string, healthcheck string) string {
	t.Helper()
	dir := t.TempDir()
	env := "TYPE=mini\nDOMAIN=mini.example.com\nLETS_ENCRYPT_ENV=production\n"
	compose := "version: \"3.8\"\nservices:\n  app:\n    image: nginx:1.27\n"
	if healthcheck != "" {
		compose += "    healthcheck:\n      test: " + healthcheck + "\n"
	}
	if len(labels) > 0 {
		compose += "    deploy:\n      labels:\n"
		for _, l := range labels {
			compose += "        - " + l + "\n"
		}
	}
	for name, data := range map[string]string{".env.sample": env, "compose.yml": compose} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func traefik(rule string, port int) []string {
	return []string{`"traefik.enable=true"`, `"traefik.http.routers.app.rule=` + rule + `"`,
		fmt.Sprintf(`"traefik.http.services.app.loadbalancer.server.port=%d"`, port)}
}

func TestProbeFromHealthcheck(t *testing.T) {
	host := "Host(`${DOMAIN}`)"
	for name, tc := range map[string]struct {
		labels      []string
		healthcheck string
		path        string
		statuses    []int
		whyHas      string
	}{
		"curl path":        {traefik(host, 3000), `["CMD", "curl", "-f", "http://localhost:3000/api/health"]`, "/api/health", []int{200}, "http://localhost:3000/api/health"},
		"wget shell":       {traefik(host, 8080), `["CMD-SHELL", "wget -q --spider http://127.0.0.1:8080/healthz?full=1 || exit 1"]`, "/healthz", []int{200}, "a path service app's traefik router"},
		"no path":          {traefik(host, 3000), `["CMD", "curl", "-f", "http://localhost:3000"]`, "/", nil, "no healthcheck"},
		"other port":       {traefik(host, 3000), `["CMD", "curl", "-f", "http://localhost:9090/metrics"]`, "/", nil, "another port"},
		"prefix elsewhere": {traefik(host+" && PathPrefix(`/app`)", 3000), `["CMD", "curl", "-f", "http://localhost:3000/api/health"]`, "/app", nil, "does not serve"},
		"prefix covers":    {traefik(host+" && PathPrefix(`/api`)", 3000), `["CMD", "curl", "-f", "http://localhost:3000/api/health"]`, "/api/health", []int{200}, "healthcheck"},
		"no healthcheck":   {traefik(host, 3000), "", "/", nil, "no healthcheck"},
	} {
		t.Run(name, func(t *testing.T) {
			d, err := Detect(miniRecipe(t, tc.labels, tc.healthcheck), nil)
			if err != nil {
				t.Fatal(err)
			}
			p := d.Probe
			if p.Service != "app" || p.Path != tc.path || !slices.Equal(p.Statuses, tc.statuses) || !strings.Contains(p.Why, tc.whyHas) {
				t.Errorf("probe %+v, want path %q statuses %v, why containing %q", p, tc.path, tc.statuses, tc.whyHas)
			}
			e, _ := scaffoldInto(t, d, Options{Name: "mini", Upstream: "https://example.org/mini.git"}, t.TempDir())
			if e.Probe.Path != tc.path || !slices.Equal(e.Probe.Statuses, tc.statuses) {
				t.Errorf("recipe.toml probe %+v", e.Probe)
			}
		})
	}
}

func TestNoRouter(t *testing.T) {
	d, err := Detect(miniRecipe(t, nil, `["CMD", "curl", "-f", "http://localhost:3000/api/health"]`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Probe.Path != "" || d.Probe.Service != "" || d.Probe.Why == "" {
		t.Errorf("probe %+v", d.Probe)
	}
	if !slices.ContainsFunc(d.Warnings, func(w string) bool { return strings.Contains(w, "no service has a traefik HTTP router") }) {
		t.Errorf("warnings %q", d.Warnings)
	}
	e, files := scaffoldInto(t, d, Options{Name: "mini"}, t.TempDir())
	toml := string(files[enrollment.FileName])
	if strings.Contains(toml, "\n[probe]") || !strings.Contains(toml, "# No [probe]: no service has a traefik HTTP router") || e.Probe.Path != "" {
		t.Errorf("recipe.toml:\n%s", toml)
	}
	if e.Recipe.Upstream != "" || !strings.Contains(toml, "# upstream = ") {
		t.Errorf("without an upstream, recipe.toml should suggest one:\n%s", toml)
	}
}

// A recipe that needs host access is scaffolded all the same, and its
// recipe.toml says what the deploy policy refuses and how to grant it.
func TestDetectPolicyRefusals(t *testing.T) {
	d, err := Detect(filepath.Join(testenv.RepoRoot(t), "testdata", "hostile", "host"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, files := scaffoldInto(t, d, Options{Name: "hostile-host"}, t.TempDir())
	toml := string(files[enrollment.FileName])
	flat := strings.Join(strings.Fields(strings.ReplaceAll(toml, "#", " ")), " ") // the comments are wrapped
	for _, want := range []string{"runs are refused until a maintainer adds the grant", "services.app.cap_add: adds capability SYS_ADMIN", `[[policy.grant]] service = "app", key = "cap_add", value = "SYS_ADMIN"`} {
		if !strings.Contains(flat, want) {
			t.Errorf("recipe.toml lacks %q:\n%s", want, toml)
		}
	}
}

func TestReleasesComment(t *testing.T) {
	dir := miniRecipe(t, traefik("Host(`${DOMAIN}`)", 80), "")
	// unwrap joins comment lines into one line of words.
	unwrap := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n#", " ")), " ") }
	for n, want := range map[int]string{
		0: "Releases: none yet (no version tags).",
		1: "Releases: 1.0.0+2.1. The upgrade stage starts from the newest release",
		2: "Releases, oldest first: 1.0.0+2.1, 1.1.0+2.2. The upgrade stage starts",
	} {
		versions := []recipe.Version{must(recipe.ParseVersion("1.1.0+2.2")), must(recipe.ParseVersion("1.0.0+2.1"))}
		versions = versions[2-n:]
		d, err := Detect(dir, versions)
		if err != nil {
			t.Fatal(err)
		}
		files, err := Files(d, Options{Name: "mini"})
		if err != nil {
			t.Fatal(err)
		}
		toml := unwrap(string(files[enrollment.FileName]))
		if !strings.Contains(toml, want) {
			t.Errorf("%d releases: recipe.toml lacks %q:\n%s", n, want, files[enrollment.FileName])
		}
		if n == 1 && !strings.Contains(toml, "until there are two releases") {
			t.Errorf("one release: recipe.toml does not say the release itself skips the upgrade:\n%s", files[enrollment.FileName])
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Run("no compose.yml", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".env.sample"), []byte("TYPE=x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Detect(dir, nil)
		if err == nil || !strings.Contains(err.Error(), "compose.yml") || !recipe.IsConfigError(err) {
			t.Errorf("error %v, want a config error naming compose.yml", err)
		}
	})
	t.Run("no .env.sample", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte("version: \"3.8\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Detect(dir, nil)
		if err == nil || !strings.Contains(err.Error(), ".env.sample") || !recipe.IsConfigError(err) {
			t.Errorf("error %v, want a config error naming .env.sample", err)
		}
	})
	t.Run("no folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "absent")
		_, err := Detect(dir, nil)
		if err == nil || !strings.Contains(err.Error(), "is not a recipe folder") || !strings.Contains(err.Error(), dir) {
			t.Errorf("error %v, want one saying %s is not a recipe folder", err, dir)
		}
	})
	t.Run("resolve fails", func(t *testing.T) {
		// Without placeholders bonfire's compose.yml names a config file
		// the corpus leaves out.
		_, err := Detect(testenv.CorpusCopy(t, "bonfire", false), nil)
		if err == nil || !strings.Contains(err.Error(), "resolve recipe bonfire") || !strings.Contains(err.Error(), "entrypoint.sh.tmpl") || !recipe.IsConfigError(err) {
			t.Errorf("error %v, want the resolve error naming entrypoint.sh.tmpl", err)
		}
	})
	t.Run("invalid compose", func(t *testing.T) {
		dir := miniRecipe(t, nil, "")
		if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte("services: [\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Detect(dir, nil)
		if err == nil || !strings.Contains(err.Error(), "scaffold ") || !strings.Contains(err.Error(), "compose.yml") {
			t.Errorf("error %v", err)
		}
	})
	d := &Detection{Recipe: "x"}
	for _, name := range []string{"Bad Name", "../x", "", "-x", "x/y", "UPPER", strings.Repeat("a", 64)} {
		_, err := Files(d, Options{Name: name})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
			t.Errorf("name %q: error %v, want one naming it", name, err)
		}
	}
	if _, err := Files(d, Options{Name: strings.Repeat("a", 63)}); err != nil {
		t.Errorf("a 63-character name: %v", err)
	}
	if _, err := Files(d, Options{Name: "x", Mirror: "https://m.example.org/x.git"}); err == nil || !strings.Contains(err.Error(), "without an upstream") {
		t.Errorf("mirror without upstream: %v", err)
	}
	if _, err := Files(nil, Options{Name: "x"}); err == nil {
		t.Error("nil detection: no error")
	}
}

// Strings from the recipe and the caller reach recipe.toml as values and
// as comments; neither may break it.
func TestTOMLRoundTrip(t *testing.T) {
	o := Options{Name: "odd", Upstream: `https://example.org/a"b\c.git`, Mirror: "https://example.org/m\tn\u00e9\x01\x7f'\"\"\".git\n"}
	d := &Detection{
		Recipe:        "odd\"\n[evil]",
		ComposeFiles:  []string{"compose.yml"},
		Services:      []Service{{Name: "app", Image: "img\n[evil]\nx = 1", Healthcheck: "sh -c 'a\nb'"}},
		Probe:         Probe{Service: "app", Path: "/we\"ird\\path", Why: "because\r\n[evil]"},
		Backup:        []string{"app: pre-hook `a\n[evil]`"},
		HookService:   "app\"\n[evil]",
		Secrets:       []Secret{{Name: "s\n[evil]", Length: 3, Generate: true, External: true}},
		Versions:      []string{"1.0.0+\n[evil]"},
		UpstreamTests: []string{`tests/we"ird\name.py`, "tests/a'b.py", "tests/\u00e9\t.py"},
		Warnings:      []string{"line one\n[evil]\nkey = 1", "bad utf-8 \xff here"},
	}
	files, err := Files(d, o)
	if err != nil {
		t.Fatal(err)
	}
	e, err := enrollment.Parse("recipe.toml", files[enrollment.FileName])
	if err != nil {
		t.Fatalf("%v\n%s", err, files[enrollment.FileName])
	}
	if e.Recipe.Upstream != o.Upstream || e.Recipe.Mirror != o.Mirror || e.Probe.Path != d.Probe.Path {
		t.Errorf("round trip: recipe %+v probe %+v", e.Recipe, e.Probe)
	}
	var got []string
	for _, p := range e.Parity {
		got = append(got, p.Upstream)
	}
	if !slices.Equal(got, d.UpstreamTests) {
		t.Errorf("parity upstreams %q, want %q", got, d.UpstreamTests)
	}
	if strings.Contains(string(files[enrollment.FileName]), "\n[evil]") {
		t.Errorf("a value broke out of its comment:\n%s", files[enrollment.FileName])
	}

	for _, s := range []string{"", `"`, `\`, `\u0041`, "a\x00b", "\x1f\x7f", "tab\there", "é ü 中 😀", "'''", `"""`, "\u2028"} {
		var v map[string]string
		if err := toml.Unmarshal([]byte("k = "+tomlString(s)), &v); err != nil || v["k"] != s {
			t.Errorf("tomlString(%q) = %s reads back %q, %v", s, tomlString(s), v["k"], err)
		}
	}
	var v map[string]string
	if err := toml.Unmarshal([]byte("k = "+tomlString("a\xffb")), &v); err != nil || v["k"] != "a\uFFFDb" {
		t.Errorf("invalid UTF-8 reads back %q, %v", v["k"], err)
	}
}

func TestGeneric(t *testing.T) {
	got := generic("secret x is named scaffold_example_org_x, at https://scaffold.example.org/")
	if want := "secret x is named $STACK_NAME_x, at https://$DOMAIN/"; got != want {
		t.Errorf("generic = %q, want %q", got, want)
	}
}

func TestNames(t *testing.T) {
	for name, want := range map[string][2]string{
		"bonfire":     {"bonfire_test.go", "bonfire"},
		"go-ssb-room": {"go_ssb_room_test.go", "gossbroom"},
		"my.app_2":    {"my_app_2_test.go", "myapp2"},
		"2fa-auth":    {"2fa_auth_test.go", "recipe2faauth"},
		"go":          {"go_test.go", "recipego"},
		"relay-linux": {"relay_linux_recipe_test.go", "relaylinux"},
		"x-amd64":     {"x_amd64_recipe_test.go", "xamd64"},
		"foo-windows": {"foo_windows_recipe_test.go", "foowindows"},
		"linux":       {"linux_test.go", "linux"},
	} {
		if got := TestFileName(name); got != want[0] {
			t.Errorf("TestFileName(%q) = %q, want %q", name, got, want[0])
		}
		if got := PackageName(name); got != want[1] {
			t.Errorf("PackageName(%q) = %q, want %q", name, got, want[1])
		}
	}
}

// An app reached over TCP and UDP only gets no HTTP probe and no warning
// for it, but a commented probe for each way in, and its recipe.toml
// still loads strictly.
func TestScaffoldStreams(t *testing.T) {
	d, err := Detect(miniRecipe(t, []string{`"traefik.tcp.routers.line.rule=HostSNI(` + "`*`" + `)"`,
		`"traefik.tcp.services.line.loadbalancer.server.port=7000"`, `"traefik.udp.routers.voice.entrypoints=voice"`,
		`"traefik.udp.services.voice.loadbalancer.server.port=7001"`}, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Probe.Path != "" || len(d.Probe.Streams) != 2 || !strings.Contains(d.Probe.Why, "probes its TCP and UDP ways in instead") {
		t.Errorf("probe %+v", d.Probe)
	}
	if slices.ContainsFunc(d.Warnings, func(w string) bool { return strings.Contains(w, "no service has a traefik HTTP router") }) {
		t.Errorf("warnings %q", d.Warnings)
	}
	e, files := scaffoldInto(t, d, Options{Name: "mini"}, t.TempDir())
	toml := string(files[enrollment.FileName])
	for _, want := range []string{"# tcp router line -> app:7000:", "# [[probe.tcp]]\n# service = \"app\"\n# port = 7000\n",
		"# udp router voice -> app:7001:", "# [[probe.udp]]\n# service = \"app\"\n# port = 7001\n# send = ", "env.DialTCP"} {
		if !strings.Contains(toml, want) {
			t.Errorf("recipe.toml lacks %q:\n%s", want, toml)
		}
	}
	if len(e.Probe.TCP)+len(e.Probe.UDP) != 0 {
		t.Errorf("the scaffold set stream probes: %+v", e.Probe)
	}
}

// go-ssb-room's muxrpc TCP router, beside its HTTP one, is a way in the
// scaffold proposes to probe.
func TestDetectCorpusTCPRouter(t *testing.T) {
	d := detectCorpus(t, "go-ssb-room")
	want := Stream{Protocol: "tcp", Service: "app", Port: 8008, Route: "tcp router $STACK_NAME-muxrpc -> app:8008"}
	if len(d.Probe.Streams) != 1 || d.Probe.Streams[0] != want || d.Probe.Path != "/" {
		t.Errorf("probe %+v, want HTTP / and the stream %+v", d.Probe, want)
	}
}
