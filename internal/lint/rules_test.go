package lint

import (
	"maps"
	"strings"
	"testing"
)

// good is a recipe that passes every rule that applies to a plain folder.
func good() map[string]string {
	return map[string]string{
		".env.sample": "TYPE=good\nDOMAIN=good.example.com\nLETS_ENCRYPT_ENV=production\nSECRET_DB_PASSWORD_VERSION=v1 # length=32\n",
		"abra.sh":     "export APP_CONF_VERSION=v1\n",
		"app.conf":    "listen 80;\n",
		"README.md": "# good\n\n<!-- metadata -->\n* **Category**: Apps\n* **Status**: 1, alpha\n* **Image**: `nginx`, 4, upstream\n" +
			"* **Healthcheck**: Yes\n* **Backups**: No\n* **Email**: No\n* **Tests**: No\n* **SSO**: No\n<!-- endmetadata -->\n",
		"compose.yml": `version: "3.8"
services:
  app:
    image: nginx:1.27.3
    healthcheck:
      test: ["CMD", "true"]
    secrets: [db_password]
    configs:
      - source: app_conf
        target: /etc/nginx/conf.d/app.conf
    deploy:
      labels:
        - "traefik.enable=true"
        - "traefik.http.routers.${STACK_NAME}.rule=Host(` + "`${DOMAIN}`" + `)"
        - "traefik.http.services.${STACK_NAME}.loadbalancer.server.port=80"
        - "coop-cloud.${STACK_NAME}.version=1.0.0+1.27.3"
secrets:
  db_password:
    external: true
    name: ${STACK_NAME}_db_password_${SECRET_DB_PASSWORD_VERSION}
configs:
  app_conf:
    name: ${STACK_NAME}_app_conf_${APP_CONF_VERSION}
    file: app.conf
`,
	}
}

// edit replaces old with new in a file of a copy of good, failing when old
// is not there.
func edit(t *testing.T, files map[string]string, file, old, new string) {
	t.Helper()
	if !strings.Contains(files[file], old) {
		t.Fatalf("%s lacks %q", file, old)
	}
	files[file] = strings.Replace(files[file], old, new, 1)
}

func TestGoodRecipe(t *testing.T) {
	for _, r := range check(t, writeRecipe(t, good())).Results {
		if r.Status == Fail || r.Status == Skip && r.Rule.needs != needNetwork && !strings.Contains(r.Reason, "plain folder") && r.Reason != "no release to have notes" {
			t.Errorf("%s: %s %v %s", r.Rule.Title(), r.Status, r.Findings, r.Reason)
		}
	}
}

// Hand-made recipes, each breaking one rule: the rule fails, naming what
// broke it, and no other rule fails.
func TestEachRuleBreaks(t *testing.T) {
	for _, tc := range []struct {
		rule, want string
		change     func(t *testing.T, f map[string]string)
		also       []string // other rules the change breaks too
	}{
		{"compose-version", `compose.yml: version is "3.7"; compose.extra.yml: no version`, func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", `version: "3.8"`, `version: "3.7"`)
			f["compose.extra.yml"] = "services:\n  app:\n    environment: [X=1]\n"
		}, nil},
		{"healthchecks", "service app: no healthcheck", func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", "    healthcheck:\n      test: [\"CMD\", \"true\"]\n", "")
		}, nil},
		{"healthchecks", "service app: healthcheck disabled", func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", `test: ["CMD", "true"]`, "disable: true")
		}, nil},
		{"images-tagged", "service app: image nginx has no tag", func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", "nginx:1.27.3", "nginx")
		}, nil},
		{"no-latest", "service app: image nginx:latest", func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", "nginx:1.27.3", "nginx:latest")
		}, nil},
		{"semver-image-tags", `service app: image nginx:mainline: tag "mainline" is not semver-like`, func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", "nginx:1.27.3", "nginx:mainline")
		}, nil},
		{"readme-metadata", "README.md metadata left empty: Email; README.md metadata lacks: SSO", func(t *testing.T, f map[string]string) {
			edit(t, f, "README.md", "* **Email**: No", "* **Email**:")
			edit(t, f, "README.md", "* **SSO**: No\n", "")
		}, nil},
		{"readme-metadata", "README.md is missing", func(t *testing.T, f map[string]string) { delete(f, "README.md") }, nil},
		{"readme-metadata", "README.md has no <!-- metadata --> ... <!-- endmetadata --> block", func(t *testing.T, f map[string]string) {
			f["README.md"] = "# good\n"
		}, nil},
		{"app-service", "no service is called app (services: web)", func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", "  app:\n", "  web:\n")
		}, nil},
		{"traefik-enabled", `service app: declares traefik routers but traefik.enable is ""`, func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", `        - "traefik.enable=true"`+"\n", "")
		}, nil},
		{"traefik-enabled", "no service sets traefik.enable=true", func(t *testing.T, f map[string]string) {
			f["compose.yml"] = strings.Join(slicesFilter(strings.Split(f["compose.yml"], "\n"), "traefik."), "\n")
		}, nil},
		{"config-versions", "compose.yml: config app_conf: APP_CONF_VERSION is not exported by abra.sh", func(t *testing.T, f map[string]string) {
			f["abra.sh"] = "# no exports\n"
			f[".env.sample"] += "APP_CONF_VERSION=v1\n" // in .env.sample it stays behind in existing apps
		}, nil},
		{"config-versions", "compose.yml: config app_conf: APP_CONF_VERSION is not vendored: there is no abra.sh", func(t *testing.T, f map[string]string) {
			delete(f, "abra.sh")
			f[".env.sample"] += "APP_CONF_VERSION=v1\n"
		}, nil},
		{"config-versions", `compose.yml: config app_conf: name "${STACK_NAME}_app_conf" carries no version variable (X_VERSION)`, func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", "_app_conf_${APP_CONF_VERSION}", "_app_conf")
		}, nil},
		{"config-versions", "compose.yml: config app_conf: no name: a changed file cannot be deployed under the same name; name it ${STACK_NAME}_app_conf_${APP_CONF_VERSION}", func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", "    name: ${STACK_NAME}_app_conf_${APP_CONF_VERSION}\n", "")
		}, nil},
		// 45 + len("_the_database_root_password_v1") = 75: fine for our short
		// run stacks, too long for an operator's app.
		{"secret-lengths", "compose.yml: secret db_password: <stack>_the_database_root_password_v1 is 75 characters with a 45-character stack name (swarm allows 64)", func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", "_db_password_", "_the_database_root_password_")
		}, nil},
		{"env-type-domain", ".env.sample: TYPE is not set", func(t *testing.T, f map[string]string) {
			edit(t, f, ".env.sample", "TYPE=good\n", "")
		}, nil},
		{"version-label", "no service has the label coop-cloud.lint-abc123_example_org.version", func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", `        - "coop-cloud.${STACK_NAME}.version=1.0.0+1.27.3"`+"\n", "")
		}, nil},
	} {
		t.Run(tc.rule+" "+tc.want, func(t *testing.T) {
			files := maps.Clone(good())
			tc.change(t, files)
			rep := check(t, writeRecipe(t, files))
			for _, r := range rep.Results {
				got := strings.Join(r.Findings, "; ")
				switch {
				case r.Rule.ID == tc.rule && (r.Status != Fail || got != tc.want):
					t.Errorf("%s: %s %q, want fail %q", r.Rule.Title(), r.Status, got, tc.want)
				case r.Rule.ID != tc.rule && r.Status == Fail:
					t.Errorf("%s fails too: %q", r.Rule.Title(), got)
				}
			}
		})
	}
}

// traefik-enabled follows abra: an app without DOMAIN is not web-facing.
func TestTraefikSkipWithoutDomain(t *testing.T) {
	files := good()
	edit(t, files, ".env.sample", "DOMAIN=good.example.com\n", "")
	st, fi := outcome(check(t, writeRecipe(t, files)))
	if st["traefik-enabled"] != Skip || !strings.Contains(fi["traefik-enabled"], "sets no DOMAIN") {
		t.Errorf("traefik-enabled: %s %q", st["traefik-enabled"], fi["traefik-enabled"])
	}
	if st["env-type-domain"] != Fail || fi["env-type-domain"] != ".env.sample: DOMAIN is not set" {
		t.Errorf("env-type-domain: %s %q", st["env-type-domain"], fi["env-type-domain"])
	}
}

func slicesFilter(lines []string, drop string) []string {
	var out []string
	for _, l := range lines {
		if !strings.Contains(l, drop) {
			out = append(out, l)
		}
	}
	return out
}
