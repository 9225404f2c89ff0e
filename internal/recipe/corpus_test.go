package recipe

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func corpusDir(t *testing.T) string { return testenv.CorpusDir(t) }

func corpusCopy(t *testing.T, name string, placeholders bool) string {
	return testenv.CorpusCopy(t, name, placeholders)
}

func resolveCorpus(t *testing.T, name string) *App {
	t.Helper()
	r, err := LoadDir(corpusCopy(t, name, true))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	app, err := r.Resolve(ResolveOptions{Domain: "bonf-c0ffee.ci.example.org"})
	if err != nil {
		t.Fatalf("resolve %s: %v", name, err)
	}
	return app
}

const corpusStack = "bonf-c0ffee_ci_example_org"

func secretByName(t *testing.T, app *App, name string) Secret {
	t.Helper()
	for _, s := range app.Secrets {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("secret %s not found in %+v", name, app.Secrets)
	return Secret{}
}

func mustService(t *testing.T, app *App, name string) *Service {
	t.Helper()
	s, ok := app.Service(name)
	if !ok {
		t.Fatalf("service %s not found", name)
	}
	return s
}

func TestCorpusBonfire(t *testing.T) {
	app := resolveCorpus(t, "bonfire")
	if !slices.Equal(app.ComposeFiles, []string{"compose.yml", "compose.postgres.yml"}) {
		t.Errorf("compose files = %v", app.ComposeFiles)
	}
	if app.Stack != corpusStack {
		t.Errorf("stack = %s", app.Stack)
	}
	appSvc := mustService(t, app, "app")
	if appSvc.Image != "bonfirenetworks/bonfire:1.0.6-social-amd64" {
		t.Errorf("app image = %s", appSvc.Image)
	}
	if len(appSvc.Routers) != 1 || appSvc.Routers[0].Port != 4000 ||
		!slices.Equal(appSvc.Routers[0].Hosts, []string{app.Domain}) ||
		!slices.Equal(appSvc.Routers[0].Entrypoints, []string{"web-secure"}) {
		t.Errorf("app routers = %+v", appSvc.Routers)
	}
	if appSvc.Healthcheck == nil || appSvc.Healthcheck.Retries != 10 || appSvc.Healthcheck.Interval != "30s" {
		t.Errorf("app healthcheck = %+v", appSvc.Healthcheck)
	}
	if app.Version != "2.0.1+1.0.6-social-amd64" || app.TimeoutS != 300 {
		t.Errorf("version %q timeout %d", app.Version, app.TimeoutS)
	}
	if s := secretByName(t, app, "postgres_password"); s.FullName != corpusStack+"_postgres_password_v1" || s.Length != 0 {
		t.Errorf("postgres secret = %+v", s)
	}
	if s := secretByName(t, app, "secret_key_base"); s.Length != 128 || s.VersionVar != "SECRET_SECRET_KEY_BASE_VERSION" {
		t.Errorf("secret_key_base = %+v", s)
	}
	db := mustService(t, app, "db")
	if db.Image != "ghcr.io/baosystems/postgis:17-3.5" {
		t.Errorf("db image = %s", db.Image)
	}
	b := db.Backup
	if b == nil || !b.Enabled || b.PreHook != "/pg_backup.sh backup" || b.RestorePostHook != "/pg_backup.sh restore" ||
		!slices.Equal(b.Volumes["db-data"], []string{"backup.sql"}) {
		t.Errorf("db backup = %+v", b)
	}
	if appSvc.Backup == nil || !appSvc.Backup.Enabled {
		t.Errorf("app backup (ENABLE_BACKUPS=true) = %+v", appSvc.Backup)
	}
	// abra.sh exports APP_ENTRYPOINT_VERSION=v4, overriding the compose default v3.
	wantConfigs := map[string]string{
		"app_entrypoint": corpusStack + "_app_entrypoint_v4",
		"pg_backup":      corpusStack + "_pg_backup_v6",
	}
	for _, c := range app.Configs {
		if wantConfigs[c.Name] != c.FullName {
			t.Errorf("config %s = %s, want %s", c.Name, c.FullName, wantConfigs[c.Name])
		}
		if c.Name == "app_entrypoint" && (c.TemplateDriver != "golang" || c.File != "entrypoint.sh.tmpl" || c.Version != "v4") {
			t.Errorf("app_entrypoint = %+v", c)
		}
	}
	nets := map[string]Network{}
	for _, n := range app.Networks {
		nets[n.Name] = n
	}
	if !nets["proxy"].External || nets["proxy"].FullName != "proxy" || nets["internal"].FullName != corpusStack+"_internal" {
		t.Errorf("networks = %+v", app.Networks)
	}
	vols := map[string]string{}
	for _, v := range app.Volumes {
		vols[v.Name] = v.FullName
	}
	if vols["db-data"] != corpusStack+"_db-data" || vols["upload-data"] != corpusStack+"_upload-data" {
		t.Errorf("volumes = %v", vols)
	}
	svc, r, ok := app.PrimaryRouter()
	if !ok || svc.Name != "app" || r.ProbePath() != "/" {
		t.Errorf("primary router = %v %+v", svc, r)
	}
}

func TestCorpusGaseous(t *testing.T) {
	app := resolveCorpus(t, "gaseous")
	if len(app.Secrets) != 0 || app.Version != "0.1.0+4.3.1" {
		t.Errorf("secrets %v version %q", app.Secrets, app.Version)
	}
	s := mustService(t, app, "app")
	if s.Image != "gaseousgames/gaseousserver:latest" || s.Routers[0].Port != 80 || s.Healthcheck != nil ||
		!slices.Equal(s.Routers[0].Middlewares, []string{corpusStack + "-redirect"}) {
		t.Errorf("app = %+v", s)
	}
	if !slices.Equal(s.Volumes, []Mount{{Volume: "gs", Target: "/root/.gaseous-server"}}) {
		t.Errorf("app volumes = %+v", s.Volumes)
	}
	if mustService(t, app, "db").Image != "mariadb" {
		t.Error("db image")
	}
}

func TestCorpusGoSSBRoom(t *testing.T) {
	app := resolveCorpus(t, "go-ssb-room")
	s := mustService(t, app, "app")
	if len(s.Routers) != 1 {
		t.Fatalf("routers = %+v", s.Routers)
	}
	r := s.Routers[0]
	if r.Port != 3000 || !slices.Equal(r.Hosts, []string{app.Domain}) || len(r.HostRegexps) != 1 {
		t.Errorf("router = %+v", r)
	}
	// This recipe writes the older coop-cloud.<stack>.app.version label only.
	if app.Version != "" {
		t.Errorf("version = %q", app.Version)
	}
}

func TestCorpusLlamenos(t *testing.T) {
	app := resolveCorpus(t, "llamenos")
	if !slices.Equal(app.ComposeFiles, []string{"compose.yml"}) {
		t.Errorf("no active COMPOSE_FILE means compose.yml, got %v", app.ComposeFiles)
	}
	want := map[string][2]any{
		"hmac_secret": {64, "hex"}, "server_nostr": {64, "hex"}, "db_password": {32, "alnum"},
		"minio_access": {20, "alnum"}, "minio_secret": {40, "alnum"},
	}
	if len(app.Secrets) != len(want) {
		t.Errorf("secrets = %+v", app.Secrets)
	}
	for name, w := range want {
		s := secretByName(t, app, name)
		if s.Length != w[0].(int) || s.Charset != w[1].(string) || s.FullName != corpusStack+"_"+name+"_v1" {
			t.Errorf("secret %s = %+v", name, s)
		}
	}
	web := mustService(t, app, "web")
	if web.Routers[0].Port != 80 || web.Image != "nginx:1.27-alpine" {
		t.Errorf("web = %+v", web)
	}
	if b := mustService(t, app, "minio").Backup; b == nil || !slices.Equal(b.Paths, []string{"/data"}) {
		t.Errorf("minio backup (older backupbot.backup.path) = %+v", b)
	}
	if b := mustService(t, app, "db").Backup; b == nil || b.Other["backupbot.backup.command"] != "pg_dump -U llamenos llamenos" {
		t.Errorf("db backup = %+v", b)
	}
	for _, n := range app.Networks {
		if n.Name == "internal" && (!n.Internal || n.Driver != "overlay") {
			t.Errorf("internal network = %+v", n)
		}
	}
	if app.Version != "latest" {
		t.Errorf("version = %q", app.Version)
	}
}

// A config file the corpus leaves out is caught before any deploy, naming
// the compose file and config key.
func TestCorpusMissingConfigFile(t *testing.T) {
	r, err := LoadDir(corpusCopy(t, "bonfire", false))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Resolve(ResolveOptions{Domain: "bonf-c0ffee.ci.example.org"})
	if err == nil || !IsConfigError(err) || !strings.Contains(err.Error(), "compose.yml: configs.app_entrypoint.file: entrypoint.sh.tmpl does not exist") {
		t.Errorf("got %v", err)
	}
}

// Each optional overlay a corpus .env.sample offers, enabled the way an
// operator would (the COMPOSE_FILE line and the SECRET_*_VERSION lines of
// the same block uncommented). Real recipes have real mistakes: those are
// reported naming the file and the reference.
func TestCorpusOptionalOverlays(t *testing.T) {
	wantErr := map[string]string{
		// The overlay defines oauth_client_secret but names its version
		// SECRET_GITHUB_CLIENT_SECRET_VERSION, and its service uses an
		// undefined github_client_secret.
		"bonfire/compose.auth.github.yml": `SECRET_OAUTH_CLIENT_SECRET_VERSION: secret "oauth_client_secret" (compose.auth.github.yml) has no version`,
		// The secret key is misspelt "orchid", so its version variable is too.
		"bonfire/compose.auth.orcid.yml": `SECRET_ORCHID_CLIENT_SECRET_VERSION: secret "orchid_client_secret" (compose.auth.orcid.yml) has no version`,
		// The S3 overlay silently depends on the mail overlay's mail_key.
		"bonfire/compose.s3.yml": `SECRET_MAIL_KEY_VERSION: secret "mail_key" (compose.s3.yml) has no version`,
	}
	for _, name := range []string{"bonfire", "gaseous", "go-ssb-room", "llamenos"} {
		dir := corpusCopy(t, name, true)
		base, err := LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		// The SECRET_*_VERSION lines that follow an optional COMPOSE_FILE line,
		// up to the next one, belong to its block.
		blockSecrets := map[int][]string{}
		cur := -1
		for i, o := range base.Env.Optional {
			switch {
			case o.Name == "COMPOSE_FILE":
				cur = i
			case strings.HasPrefix(o.Name, "SECRET_") && cur >= 0:
				blockSecrets[cur] = append(blockSecrets[cur], o.Name+"="+o.Value)
			}
		}
		for i, o := range base.Env.Optional {
			if o.Name != "COMPOSE_FILE" || !strings.Contains(o.Value, "$COMPOSE_FILE") {
				continue
			}
			overlay := o.Value[strings.LastIndex(o.Value, ":")+1:]
			secretLines := blockSecrets[i]
			t.Run(name+"/"+overlay, func(t *testing.T) {
				r, err := LoadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				// Secrets lines first: a real operator enables the secret with the overlay.
				if err := r.Set("test", append(slicesClip(secretLines), "COMPOSE_FILE=\""+o.Value+"\"")...); err != nil {
					t.Fatal(err)
				}
				if last := r.ComposeFiles[len(r.ComposeFiles)-1]; last != filepath.Clean(overlay) {
					t.Fatalf("overlay not enabled: %v", r.ComposeFiles)
				}
				_, err = r.Resolve(ResolveOptions{Domain: "bonf-c0ffee.ci.example.org"})
				want, bad := wantErr[name+"/"+overlay]
				switch {
				case bad && (err == nil || !strings.Contains(err.Error(), want)):
					t.Errorf("want error containing %q, got %v", want, err)
				case !bad && err != nil:
					t.Errorf("resolve with %s: %v", overlay, err)
				}
			})
		}
	}
}

func slicesClip(s []string) []string { return s[:len(s):len(s)] }
