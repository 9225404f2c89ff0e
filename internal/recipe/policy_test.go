package recipe

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const policyEnv = "TYPE=demo\nDOMAIN=demo.example.com\nCOMPOSE_FILE=\"compose.yml:compose.evil.yml\"\nSECRET_DB_VERSION=v1\nSECRET_THEIRS_VERSION=v1\n"

// policyBase is a recipe the policy accepts: named volumes, tmpfs, the
// shared proxy network, an abra-style secret in the run's namespace.
const policyBase = `version: "3.8"
services:
  app:
    image: nginx:1.27
    networks: [proxy, internal]
    volumes:
      - data:/data
      - type: tmpfs
        target: /tmp
    secrets: [db]
volumes:
  data:
networks:
  proxy:
    external: true
  internal:
secrets:
  db:
    external: true
    name: ${STACK_NAME}_db_${SECRET_DB_VERSION}
`

// Each hostile overlay attacks the host or another app one way; the
// resolve must fail naming the overlay, the service or object, and the key.
var hostileOverlays = map[string]struct{ overlay, key, want string }{
	"docker socket, short syntax": {`services: {app: {volumes: ["/var/run/docker.sock:/var/run/docker.sock"]}}`,
		"services.app.volumes", "bind-mounts host path /var/run/docker.sock, which exposes the Docker socket"},
	"host root, long syntax": {`services: {app: {volumes: [{type: bind, source: /, target: /host}]}}`,
		"services.app.volumes", "bind-mounts host path /, which exposes the Docker socket"},
	"relative bind": {`services: {app: {volumes: ["./data/x:/src"]}}`,
		"services.app.volumes", `bind-mounts host path ./data/x: refused by the deploy policy (if the recipe needs it, its reviewed enrollment grants it: [[policy.grant]] service = "app", key = "volumes", value = "./data/x"`},
	"the recipe folder": {`services: {app: {volumes: ["./:/src"]}}`,
		"services.app.volumes", "bind-mounts host path ./: refused"},
	"cap_add":       {`services: {app: {cap_add: [SYS_ADMIN]}}`, "services.app.cap_add", "adds capability SYS_ADMIN"},
	"devices":       {`services: {app: {devices: ["/dev/sda:/dev/sda"]}}`, "services.app.devices", "maps host device /dev/sda:/dev/sda"},
	"privileged":    {`services: {app: {privileged: true}}`, "services.app.privileged", "runs privileged"},
	"security_opt":  {`services: {app: {security_opt: ["seccomp:unconfined"]}}`, "services.app.security_opt", "seccomp:unconfined"},
	"userns_mode":   {`services: {app: {userns_mode: host}}`, "services.app.userns_mode", "changes the user namespace"},
	"cgroup_parent": {`services: {app: {cgroup_parent: /system.slice}}`, "services.app.cgroup_parent", "another cgroup"},
	"network_mode":  {`services: {app: {network_mode: host}}`, "services.app.network_mode", "(host)"},
	"pid":           {`services: {app: {pid: host}}`, "services.app.pid", "(host)"},
	"ipc":           {`services: {app: {ipc: host}}`, "services.app.ipc", "(host)"},
	"sysctls":       {`services: {app: {sysctls: {net.ipv4.ip_forward: 1}}}`, "services.app.sysctls", "sets sysctl net.ipv4.ip_forward"},
	"host network": {`{services: {app: {networks: [hostnet]}}, networks: {hostnet: {external: true, name: host}}}`,
		"networks.hostnet", `is named "host", outside the run's namespace`},
	"external network": {`{services: {app: {networks: [other]}}, networks: {other: {external: true}}}`,
		"networks.other", `is named "other"`},
	"proxy not external": {`{networks: {proxy: {external: false, name: proxy}}}`,
		"networks.proxy", `is named "proxy"`},
	"another app's secret": {`{services: {app: {secrets: [theirs]}}, secrets: {theirs: {external: true, name: other_app_db_v1}}}`,
		"secrets.theirs", `is named "other_app_db_v1"`},
	"external secret by key": {`{services: {app: {secrets: [theirs]}}, secrets: {theirs: {external: true}}}`,
		"secrets.theirs", `is named "theirs"`},
	"another stack's volume": {`{services: {app: {volumes: ["v:/v"]}}, volumes: {v: {name: otherstack_data}}}`,
		"volumes.v", `is named "otherstack_data"`},
	"external volume": {`{services: {app: {volumes: ["v:/v"]}}, volumes: {v: {external: true}}}`,
		"volumes.v", `is named "v"`},
	"bind through driver_opts": {`{volumes: {data: {driver_opts: {type: none, o: bind, device: /}}}}`,
		"volumes.data.driver_opts", "device=/,o=bind,type=none"},
	"volume driver plugin": {`{volumes: {data: {driver: rexray}}}`, "volumes.data.driver", "volume driver plugin"},
	"config by name":       {`{configs: {c: {external: true, name: other_conf}}}`, "configs.c", `is named "other_conf"`},
}

func TestPolicyRefusesHostileRecipes(t *testing.T) {
	for name, tc := range hostileOverlays {
		t.Run(name, func(t *testing.T) {
			r, err := LoadDir(writeRecipe(t, map[string]string{".env.sample": policyEnv, "compose.yml": policyBase,
				"compose.evil.yml": flowOverlay(tc.overlay)}))
			if err != nil {
				t.Fatal(err)
			}
			app, err := r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org"})
			want := "compose.evil.yml: " + tc.key + ": "
			if app != nil || !IsConfigError(err) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "refused by the deploy policy") {
				t.Fatalf("err = %v\nwant a ConfigError with %q and %q", err, want, tc.want)
			}
			// The same recipe resolved for a caller that deploys nothing
			// lists the refusal instead.
			app, err = r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org", NoPolicy: true})
			if err != nil || len(app.Refused) == 0 || !strings.Contains(app.Refused[0], tc.key) {
				t.Fatalf("NoPolicy: err %v, refused %q", err, app.Refused)
			}
		})
	}
}

// flowOverlay makes a compose file of a one-line YAML flow mapping, with
// the version the base has (Docker's loader wants them equal).
func flowOverlay(o string) string {
	if strings.HasPrefix(o, "{") {
		return `{version: "3.8", ` + o[1:] + "\n"
	}
	return `{version: "3.8", ` + o + "}\n"
}

func TestPolicyAcceptsTheBase(t *testing.T) {
	r, err := LoadDir(writeRecipe(t, map[string]string{".env.sample": policyEnv, "compose.yml": policyBase,
		"compose.evil.yml": "version: \"3.8\"\n"}))
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org"})
	if err != nil || len(app.Grants) != 0 || len(app.Refused) != 0 {
		t.Fatalf("err %v, grants %v, refused %v", err, app.Grants, app.Refused)
	}
}

func TestPolicyGrants(t *testing.T) {
	overlay := `version: "3.8"
services:
  app:
    volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro", "/srv/backups:/backups"]
    cap_add: [NET_ADMIN]
`
	dir := writeRecipe(t, map[string]string{".env.sample": policyEnv, "compose.yml": policyBase, "compose.evil.yml": overlay})
	sock := Grant{Service: "app", Key: "volumes", Value: "/var/run/docker.sock", Reason: "reads the Docker API to route"}
	anyBind := Grant{Service: "app", Key: "volumes", Reason: "backups go to the host"}
	netAdmin := Grant{Service: "app", Key: "cap_add", Value: "NET_ADMIN", Reason: "configures its VPN interface"}
	unused := Grant{Service: "app", Key: "privileged", Reason: "left over"}
	for name, tc := range map[string]struct {
		grants  []Grant
		used    []Grant
		wantErr string
	}{
		"all granted":               {grants: []Grant{sock, anyBind, netAdmin, unused}, used: []Grant{sock, anyBind, netAdmin}},
		"a value grant is narrow":   {grants: []Grant{sock, netAdmin}, wantErr: "compose.evil.yml: services.app.volumes: bind-mounts host path /srv/backups"},
		"another service's grant":   {grants: []Grant{{Service: "db", Key: "cap_add", Reason: "x"}, sock, anyBind}, wantErr: "services.app.cap_add: adds capability NET_ADMIN"},
		"nothing granted, all said": {wantErr: "services.app.cap_add"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			app, err := r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org", Grants: tc.grants})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(app.Grants, tc.used) {
				t.Errorf("used grants = %v, want %v", app.Grants, tc.used)
			}
			if !slices.ContainsFunc(app.Warnings, func(w string) bool { return strings.Contains(w, "policy grant services.app.privileged is not needed") }) {
				t.Errorf("no warning for the unused grant: %q", app.Warnings)
			}
		})
	}
	// Every refusal is listed at once, each its own ConfigError.
	r, _ := LoadDir(dir)
	_, err := r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org"})
	if n := len(unjoin(err)); n != 3 {
		t.Errorf("%d refusals, want 3: %v", n, err)
	}
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.File != "compose.evil.yml" {
		t.Errorf("first refusal = %+v", ce)
	}
}

func TestCheckGrant(t *testing.T) {
	for _, tc := range []struct {
		g    Grant
		want string
	}{
		{Grant{Service: "app", Key: "volumes", Reason: "r"}, ""},
		{Grant{Key: "networks.traefik", Value: "traefik_public", Reason: "r"}, ""},
		{Grant{Key: "volumes.data.driver_opts", Reason: "r"}, ""},
		{Grant{Service: "app", Key: "volumes"}, "needs a reason"},
		{Grant{Service: "app", Key: "image", Reason: "r"}, `key "image" is not a service key`},
		{Grant{Key: "cap_add", Reason: "r"}, "name the service"},
		{Grant{Key: "secrets", Reason: "r"}, "neither a service key nor a top-level object"},
	} {
		err := CheckGrant(tc.g)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckGrant(%+v) = %v, want %q", tc.g, err, tc.want)
		}
	}
}

// Every corpus recipe, with each optional overlay, deploys within the
// policy: named volumes, the proxy network, abra-style names in the stack's
// namespace, config files inside the recipe. None needs a grant.
func TestCorpusWithinPolicy(t *testing.T) {
	for _, name := range []string{"bonfire", "gaseous", "go-ssb-room", "llamenos"} {
		r, err := LoadDir(corpusCopy(t, name, true))
		if err != nil {
			t.Fatal(err)
		}
		app, err := r.Resolve(ResolveOptions{Domain: "bonf-c0ffee.ci.example.org", NoPolicy: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(app.Refused) > 0 {
			t.Errorf("%s: refused %q", name, app.Refused)
		}
	}
}

// A secret or config file must stay in the recipe after symlinks: else the
// swarm object would carry a host file into the app.
func TestPolicyObjectFilesStayInTheRecipe(t *testing.T) {
	hostFile := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(hostFile, []byte("root's secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		top, link, want string
	}{
		"absolute secret file": {top: "secrets: {s: {file: " + hostFile + "}}", want: "secrets.s.file: " + hostFile + " is outside the recipe"},
		"dot-dot config file":  {top: "configs: {c: {file: ../../etc/passwd}}", want: "configs.c.file: "},
		"symlinked config":     {top: "configs: {c: {file: app.conf}}", link: hostFile, want: "configs.c.file: app.conf is a symlink to " + hostFile},
		"symlinked secret":     {top: "secrets: {s: {file: app.conf}}", link: hostFile, want: "secrets.s.file: app.conf is a symlink to " + hostFile},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeRecipe(t, map[string]string{".env.sample": "TYPE=demo\nDOMAIN=demo.example.com\n",
				"compose.yml": `{version: "3.8", services: {app: {image: "nginx:1.27"}}, ` + tc.top + "}\n"})
			if tc.link != "" {
				if err := os.Symlink(tc.link, filepath.Join(dir, "app.conf")); err != nil {
					t.Fatal(err)
				}
			}
			r, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org"})
			if !IsConfigError(err) || !strings.Contains(err.Error(), "compose.yml: "+tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
