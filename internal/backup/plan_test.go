package backup

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func resolve(t *testing.T, dir string) *recipe.App {
	t.Helper()
	r, err := recipe.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(recipe.ResolveOptions{Domain: "plan-c0ffee.ci.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func target(t *testing.T, targets []Target, service string) Target {
	t.Helper()
	i := slices.IndexFunc(targets, func(x Target) bool { return x.Service == service })
	if i < 0 {
		t.Fatalf("no target for service %s in %+v", service, targets)
	}
	return targets[i]
}

// The two label styles of real recipes: per-volume paths with hooks
// (bonfire's postgres) and whole volumes (bonfire's app).
func TestPlanBonfire(t *testing.T) {
	targets, warnings := Plan(resolve(t, testenv.CorpusCopy(t, "bonfire", true)))
	db := target(t, targets, "db")
	if !slices.Equal(db.Paths, []string{"/var/lib/postgresql/data/backup.sql"}) || db.Labels.PreHook != "/pg_backup.sh backup" ||
		db.Labels.RestorePostHook != "/pg_backup.sh restore" || db.FullName != "plan-c0ffee_ci_example_org_db" {
		t.Errorf("db target %+v", db)
	}
	app := target(t, targets, "app")
	if !slices.Equal(app.Paths, []string{"/opt/app/data/uploads"}) || app.Labels.PreHook != "" {
		t.Errorf("app target %+v", app)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %v", warnings)
	}
}

// llamenos uses the older absolute backupbot.backup.path and a
// backupbot.backup.command label this backup does not act on.
func TestPlanLlamenos(t *testing.T) {
	targets, warnings := Plan(resolve(t, testenv.CorpusCopy(t, "llamenos", true)))
	minio := target(t, targets, "minio")
	if !slices.Equal(minio.Paths, []string{"/data"}) {
		t.Errorf("minio paths %v (the legacy path alone)", minio.Paths)
	}
	if !slices.ContainsFunc(warnings, func(w string) bool {
		return strings.Contains(w, "service db") && strings.Contains(w, "backupbot.backup.command")
	}) {
		t.Errorf("no warning about backupbot.backup.command: %v", warnings)
	}
	if i := slices.IndexFunc(targets, func(x Target) bool { return x.Service == "app" }); i >= 0 {
		t.Errorf("app mounts no volume and has no hook, yet is a target: %+v", targets[i])
	}
}

func TestPlanFixtures(t *testing.T) {
	root := filepath.Join(testenv.RepoRoot(t), "testdata", "recipes")
	targets, _ := Plan(resolve(t, filepath.Join(root, "example")))
	if len(targets) != 1 || !slices.Equal(target(t, targets, "app").Paths, []string{"/data/items"}) {
		t.Errorf("example targets %+v", targets)
	}
	targets, _ = Plan(&recipe.App{Services: []recipe.Service{{Name: "web", Volumes: []recipe.Mount{{Volume: "v", Target: "/v"}}}}})
	if len(targets) != 0 {
		t.Errorf("a recipe without backup labels has targets %+v", targets)
	}
}

func TestPlanLabels(t *testing.T) {
	app := &recipe.App{Services: []recipe.Service{{
		Name: "db", FullName: "s_db",
		Volumes: []recipe.Mount{{Volume: "data", Target: "/var/lib/db"}, {Volume: "cache", Target: "/cache"}, {Volume: "logs", Target: "/logs/"}},
		Backup:  &recipe.Backup{Enabled: true, Volumes: map[string][]string{"data": {"dump.sql", "conf/"}, "ghost": {"x"}}, Excluded: []string{"cache"}},
	}, {
		Name: "off", FullName: "s_off", Volumes: []recipe.Mount{{Volume: "v", Target: "/v"}}, Backup: &recipe.Backup{Enabled: false},
	}}}
	targets, warnings := Plan(app)
	if len(targets) != 1 || !slices.Equal(targets[0].Paths, []string{"/logs", "/var/lib/db/conf", "/var/lib/db/dump.sql"}) {
		t.Errorf("targets %+v", targets)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "backupbot.backup.volumes.ghost") {
		t.Errorf("warnings %v", warnings)
	}
}

func TestUnwrapShell(t *testing.T) {
	for in, want := range map[string]string{
		"/pg_backup.sh backup":                "/pg_backup.sh backup",
		`bash -c 'pg_dump -U x > /tmp/d.sql'`: "pg_dump -U x > /tmp/d.sql",
		`sh -c "mysqldump db | gzip > /d.gz"`: "mysqldump db | gzip > /d.gz",
		"  /bin/sh -c   rm -f /tmp/x  ":       "rm -f /tmp/x",
		`bash -c 'unbalanced`:                 `'unbalanced`,
		"bashful -c x":                        "bashful -c x",
	} {
		if got := unwrapShell(in); got != want {
			t.Errorf("unwrapShell(%q) = %q, want %q", in, got, want)
		}
	}
}
