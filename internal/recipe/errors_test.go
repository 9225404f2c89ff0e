package recipe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const okCompose = `version: "3.8"
services:
  app:
    image: nginx:1.27
    secrets: [db_password]
    networks: [proxy]
    deploy:
      labels:
        - "traefik.http.routers.${STACK_NAME}.rule=Host(` + "`${DOMAIN}`" + `)"
        - "traefik.http.services.${STACK_NAME}.loadbalancer.server.port=80"
networks:
  proxy:
    external: true
secrets:
  db_password:
    external: true
    name: ${STACK_NAME}_db_password_${SECRET_DB_PASSWORD_VERSION}
`

const okEnv = "TYPE=demo\nDOMAIN=demo.example.com\nCOMPOSE_FILE=\"compose.yml\"\nSECRET_DB_PASSWORD_VERSION=v1 # length=16\n"

func writeRecipe(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBadRecipes(t *testing.T) {
	long := "demo-abcdef." + strings.Repeat("x", 20) + ".example.org"
	for name, tc := range map[string]struct {
		files  map[string]string
		domain string
		file   string
		line   int
		want   string
	}{
		"missing env sample": {files: map[string]string{"compose.yml": okCompose}, file: ".env.sample", want: "missing"},
		"missing compose file": {files: map[string]string{".env.sample": okEnv + "COMPOSE_FILE=\"$COMPOSE_FILE:compose.extra.yml\"\n", "compose.yml": okCompose},
			file: ".env.sample", line: 5, want: "COMPOSE_FILE: names compose.extra.yml, which does not exist"},
		"compose outside recipe": {files: map[string]string{".env.sample": "COMPOSE_FILE=../x.yml\n"},
			file: ".env.sample", line: 1, want: "outside the recipe"},
		"invalid compose": {files: map[string]string{".env.sample": okEnv, "compose.yml": strings.Replace(okCompose, "image:", "imagez:", 1)},
			file: "compose.yml", want: "imagez"},
		"duplicate key": {files: map[string]string{".env.sample": okEnv, "compose.yml": strings.Replace(okCompose, "    image: nginx:1.27\n", "    image: nginx:1.27\n    image: nginx:1.28\n", 1)},
			file: "compose.yml", line: 5, want: `mapping key "image" already defined at line 4`},
		"broken yaml": {files: map[string]string{".env.sample": okEnv, "compose.yml": "services:\n\tapp: x\n"},
			file: "compose.yml", line: 2, want: "invalid YAML"},
		"secret without version": {files: map[string]string{".env.sample": strings.Replace(okEnv, "SECRET_DB_PASSWORD_VERSION=v1 # length=16\n", "", 1), "compose.yml": okCompose},
			file: ".env.sample", want: `SECRET_DB_PASSWORD_VERSION: secret "db_password" (compose.yml) has no version`},
		"bad length hint": {files: map[string]string{".env.sample": strings.Replace(okEnv, "length=16", "length=lots", 1), "compose.yml": okCompose},
			file: ".env.sample", line: 4, want: `length hint "lots"`},
		"undefined secret": {files: map[string]string{".env.sample": okEnv, "compose.yml": strings.Replace(okCompose, "secrets: [db_password]", "secrets: [db_password, api_key]", 1)},
			file: "compose.yml", want: `services.app: uses secret "api_key", which no compose file defines`},
		"no image": {files: map[string]string{".env.sample": okEnv, "compose.yml": strings.Replace(okCompose, "    image: nginx:1.27\n", "", 1)},
			file: "compose.yml", want: "services.app: no image specified"},
		"secret name too long": {files: map[string]string{
			".env.sample": strings.ReplaceAll(okEnv, "DB_PASSWORD", "DATABASE_ADMINISTRATOR_PASSWORD"),
			"compose.yml": strings.ReplaceAll(okCompose, "db_password", "database_administrator_password"),
		}, domain: long,
			file: "compose.yml", want: "over swarm's limit of 64"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeRecipe(t, tc.files)
			r, err := LoadDir(dir)
			if err == nil {
				domain := tc.domain
				if domain == "" {
					domain = "demo-abcdef.example.org"
				}
				_, err = r.Resolve(ResolveOptions{Domain: domain})
			}
			ce, ok := err.(*ConfigError)
			if !ok {
				t.Fatalf("want *ConfigError, got %T %v", err, err)
			}
			if filepath.Base(ce.File) != tc.file || ce.Line != tc.line || !strings.Contains(ce.Error(), tc.want) {
				t.Errorf("got %q (file %s line %d), want file %s line %d containing %q", ce.Error(), ce.File, ce.Line, tc.file, tc.line, tc.want)
			}
		})
	}
}

func TestResolveGood(t *testing.T) {
	r, err := LoadDir(writeRecipe(t, map[string]string{".env.sample": okEnv, "compose.yml": okCompose}))
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(ResolveOptions{Domain: "demo-abcdef.example.org", Env: map[string]string{"SECRET_DB_PASSWORD_VERSION": "v2"}})
	if err != nil {
		t.Fatal(err)
	}
	s := app.Secrets[0]
	if s.FullName != "demo-abcdef_example_org_db_password_v2" || s.Version != "v2" || s.Length != 16 || !s.Generate {
		t.Errorf("secret = %+v", s)
	}
	if r.Name != "demo" {
		t.Errorf("name = %q", r.Name)
	}
}
