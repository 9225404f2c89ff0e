package main

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// abra app new <recipe> [version] --server S --domain D [--chaos]
func appNew(c *cli, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no recipe name provided")
	}
	name := args[0]
	dir := c.recipeDir(name)
	sample, err := os.ReadFile(filepath.Join(dir, ".env.sample"))
	if err != nil {
		// Real abra would clone it from the catalogue; there is no network here.
		return fmt.Errorf("unable to read recipe %s: %s does not exist and the catalogue cannot be reached", name, dir)
	}
	server := c.flags["server"]
	if server == "" {
		return fmt.Errorf("no server provided (--server)")
	}
	if st, err := os.Stat(filepath.Join(c.abraDir, "servers", server)); err != nil || !st.IsDir() {
		return fmt.Errorf("server %s does not exist, run \"abra server add %s\"", server, server)
	}
	domain := c.flags["domain"]
	if domain == "" {
		if domain, err = c.input("Specify app domain", name+".example.com"); err != nil {
			return err
		}
	}
	if a, _ := c.findApp(domain); a != nil {
		return fmt.Errorf("%s already exists", domain)
	}
	var out []string
	for _, l := range strings.Split(string(sample), "\n") {
		switch {
		case strings.HasPrefix(l, "DOMAIN="):
			l = "DOMAIN=" + domain
		case strings.HasPrefix(l, "TYPE="), strings.HasPrefix(l, "RECIPE="):
			l = "RECIPE=" + name
		}
		out = append(out, l)
	}
	envFile := filepath.Join(c.abraDir, "servers", server, domain+".env")
	if err := os.WriteFile(envFile, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		return err
	}
	fmt.Printf("A new %s app has been created! Here is an overview:\n\n", name)
	table([]string{"SERVER", "DOMAIN", "RECIPE", "VERSION"}, [][]string{{server, domain, name, "chaos"}})
	fmt.Printf("\nYou can configure this app by running the following:\n  abra app config %s\n", domain)
	fmt.Printf("You can deploy this app by running the following:\n  abra app deploy %s\n", domain)
	return nil
}

// abra app deploy <domain> [--chaos] [--force] [--no-domain-checks] [--no-converge-checks]
func appDeploy(c *cli, args []string) error {
	a, err := c.findApp(first(args))
	if err != nil {
		return err
	}
	if c.flags["chaos"] != "true" {
		// Real abra checks out the latest published version; the stand-in
		// has no catalogue.
		return fmt.Errorf("%s has no published versions here: deploy the working copy with --chaos", a.recipe)
	}
	if c.flags["no-domain-checks"] != "true" {
		if _, err := net.LookupHost(a.domain); err != nil {
			return fmt.Errorf("unable to resolve %s: %v (use --no-domain-checks)", a.domain, err)
		}
	}
	deployed, err := a.deployed()
	if err != nil {
		return err
	}
	if deployed && c.flags["force"] != "true" && c.flags["chaos"] != "true" {
		return fmt.Errorf("%s is already deployed", a.domain)
	}
	fmt.Printf("%s OVERVIEW\n", strings.ToUpper(a.recipe))
	table([]string{"APP", "SERVER", "RECIPE", "VERSION", "CHAOS"}, [][]string{{a.domain, a.server, a.recipe, "chaos", "true"}})
	ok, err := c.confirm("Continue with deployment?")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("deployment cancelled")
	}
	dir := c.recipeDir(a.recipe)
	argv := []string{"stack", "deploy", "--resolve-image", "never"}
	for _, f := range a.composeFiles() {
		argv = append(argv, "-c", f)
	}
	info("deploying %s to %s", a.stack(), a.server)
	if os.Getenv("ABRA_STANDIN_FAIL") == "deploy-early" {
		// As a stack deploy that fails after making the stack's network.
		if err := docker("", nil, "", "network", "create", "--driver", "overlay", "--label", "com.docker.stack.namespace="+a.stack(), a.stack()+"_internal"); err != nil {
			return err
		}
		return fmt.Errorf("%s: failed to create config %s_app_conf: permission denied", a.stack(), a.stack())
	}
	if err := docker(dir, c.deployEnv(a), "", append(argv, a.stack())...); err != nil {
		return err
	}
	if os.Getenv("ABRA_STANDIN_FAIL") == "deploy" {
		return fmt.Errorf("%s: deploy failed: app_app did not converge in time 🛑", a.stack())
	}
	if c.flags["no-converge-checks"] != "true" {
		if err := converge(a, 3*time.Minute); err != nil {
			return err
		}
	}
	fmt.Printf("deploy succeeded 🟢\n")
	return nil
}

// converge waits until every service of the stack runs all its replicas.
func converge(a *app, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		lines, err := dockerList("service", "ls", "--filter", "label=com.docker.stack.namespace="+a.stack(), "--format", "{{.Name}} {{.Replicas}}")
		if err != nil {
			return err
		}
		done := len(lines) > 0
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) < 2 {
				done = false
				continue
			}
			have, want, _ := strings.Cut(f[1], "/")
			if have != want {
				done = false
			}
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: deploy timed out after %s: %s", a.stack(), timeout, strings.Join(lines, ", "))
		}
		time.Sleep(time.Second)
	}
}

// abra app undeploy <domain>
func appUndeploy(c *cli, args []string) error {
	a, err := c.findApp(first(args))
	if err != nil {
		return err
	}
	deployed, err := a.deployed()
	if err != nil {
		return err
	}
	if !deployed {
		return fmt.Errorf("%s is not deployed?", a.domain)
	}
	ok, err := c.confirm("Continue with undeploy?")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("undeploy cancelled")
	}
	// Right after the services go, their tasks may still hold the stack's
	// networks ("network ... is in use by task"), which `docker stack rm`
	// then fails to remove: once the containers have gone, the stand-in
	// removes what is left, so that its tests do not depend on that race.
	if err := docker("", nil, "", "stack", "rm", a.stack()); err != nil {
		if err := waitNoContainers(a.stack(), 2*time.Minute); err != nil {
			return err
		}
		if err := docker("", nil, "", "stack", "rm", a.stack()); err != nil {
			return err
		}
	}
	// Like abra, wait until the stack's containers and networks are gone,
	// so that its volumes can be removed right after.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cts, err := dockerList("ps", "-aq", "--filter", "label=com.docker.stack.namespace="+a.stack())
		if err != nil {
			return err
		}
		nets, err := dockerList("network", "ls", "-q", "--filter", "label=com.docker.stack.namespace="+a.stack())
		if err != nil {
			return err
		}
		if len(cts)+len(nets) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d containers and %d networks still there after undeploy", a.stack(), len(cts), len(nets))
		}
		time.Sleep(500 * time.Millisecond)
	}
	fmt.Printf("undeploy succeeded 🟢\n")
	return nil
}

// secretSpec is one SECRET_<NAME>_VERSION line of the app's env.
type secretSpec struct {
	name, version, full string
	length              int
	charset             string
	generate            bool
}

var secretVarRe = regexp.MustCompile(`^SECRET_([A-Z0-9_]+)_VERSION$`)

func (a *app) secrets() []secretSpec {
	var out []secretSpec
	for _, k := range sortedKeys(a.env) {
		m := secretVarRe.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		s := secretSpec{name: strings.ToLower(m[1]), version: a.env[k], length: 32, generate: true}
		s.full = a.stack() + "_" + s.name + "_" + s.version
		if mod := a.mods[k]; mod != nil {
			if n, err := strconv.Atoi(mod["length"]); err == nil && n > 0 {
				s.length = n
			}
			s.charset = mod["charset"]
			s.generate = mod["generate"] != "false"
		}
		out = append(out, s)
	}
	return out
}

// abra app secret generate <domain> [<secret> <version>] [--all]
func secretGenerate(c *cli, args []string) error {
	a, err := c.findApp(first(args))
	if err != nil {
		return err
	}
	var todo []secretSpec
	for _, s := range a.secrets() {
		switch {
		case c.flags["all"] == "true" && s.generate:
			todo = append(todo, s)
		case len(args) >= 3 && s.name == args[1]:
			s.version = args[2]
			s.full = a.stack() + "_" + s.name + "_" + s.version
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 {
		return fmt.Errorf("no secrets to generate (give a secret and a version, or --all)")
	}
	var rows [][]string
	for _, s := range todo {
		v, err := randomValue(s.length, s.charset)
		if err != nil {
			return err
		}
		if err := docker("", nil, v, "secret", "create", s.full, "-"); err != nil {
			return err
		}
		rows = append(rows, []string{s.name, v})
	}
	table([]string{"NAME", "VALUE"}, rows)
	warn("generated secrets %s shown above, please take note of them NOW", strings.Join(names(todo), ", "))
	return nil
}

// abra app secret insert <domain> <secret> <version> <data> [--file]
func secretInsert(c *cli, args []string) error {
	if len(args) < 4 {
		return fmt.Errorf("usage: abra app secret insert <domain> <secret> <version> <data> [--file]")
	}
	a, err := c.findApp(args[0])
	if err != nil {
		return err
	}
	data := args[3]
	if c.flags["file"] == "true" {
		b, err := os.ReadFile(data)
		if err != nil {
			return err
		}
		data = string(b)
	}
	full := a.stack() + "_" + args[1] + "_" + args[2]
	if err := docker("", nil, data, "secret", "create", full, "-"); err != nil {
		return err
	}
	info("%s successfully stored on server", full)
	return nil
}

// abra app secret remove <domain> [<secret>] [--all]
func secretRemove(c *cli, args []string) error {
	a, err := c.findApp(first(args))
	if err != nil {
		return err
	}
	have, err := dockerList("secret", "ls", "--format", "{{.Name}}", "--filter", "name="+a.stack()+"_")
	if err != nil {
		return err
	}
	removed := 0
	for _, s := range a.secrets() {
		if c.flags["all"] != "true" && (len(args) < 2 || args[1] != s.name) {
			continue
		}
		for _, h := range have {
			if strings.HasPrefix(h, a.stack()+"_"+s.name+"_") {
				if err := docker("", nil, "", "secret", "rm", h); err != nil {
					return err
				}
				removed++
			}
		}
	}
	if removed == 0 {
		info("no secrets to remove")
		return nil
	}
	info("%d secrets removed", removed)
	return nil
}

// abra app volume remove <domain> [--force]
func volumeRemove(c *cli, args []string) error {
	a, err := c.findApp(first(args))
	if err != nil {
		return err
	}
	vols, err := dockerList("volume", "ls", "-q", "--filter", "label=com.docker.stack.namespace="+a.stack())
	if err != nil {
		return err
	}
	if len(vols) == 0 {
		info("no volumes to remove")
		return nil
	}
	if c.flags["force"] != "true" {
		ok, err := c.confirm(fmt.Sprintf("Remove volumes %s?", strings.Join(vols, ", ")))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("volume removal cancelled")
		}
	}
	for _, v := range vols {
		if err := docker("", nil, "", "volume", "rm", v); err != nil {
			return err
		}
		info("volume %s removed", v)
	}
	return nil
}

// abra app remove <domain> [--force]
func appRemove(c *cli, args []string) error {
	a, err := c.findApp(first(args))
	if err != nil {
		return err
	}
	deployed, err := a.deployed()
	if err != nil {
		return err
	}
	if deployed {
		return fmt.Errorf("%s is still deployed. Run \"abra app undeploy %s\"", a.domain, a.domain)
	}
	if c.flags["force"] != "true" {
		ok, err := c.confirm(fmt.Sprintf("ALERTA ALERTA: this will completely remove %s data and configurations locally and remotely, are you sure?", a.domain))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("aborting as requested")
		}
	}
	// Whatever secrets and volumes are left go with the app.
	secrets, err := dockerList("secret", "ls", "--format", "{{.Name}}", "--filter", "name="+a.stack()+"_")
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if err := docker("", nil, "", "secret", "rm", s); err != nil {
			return err
		}
	}
	vols, err := dockerList("volume", "ls", "-q", "--filter", "label=com.docker.stack.namespace="+a.stack())
	if err != nil {
		return err
	}
	for _, v := range vols {
		if err := docker("", nil, "", "volume", "rm", v); err != nil {
			return err
		}
	}
	if err := os.Remove(a.envFile); err != nil {
		return err
	}
	info("file: %s removed", a.envFile)
	fmt.Printf("%s removed\n", a.domain)
	return nil
}

// abra app cp <domain> <src> <dst>: one of src and dst is <service>:<path>.
func appCp(c *cli, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: abra app cp <domain> <src> <dst>")
	}
	a, err := c.findApp(args[0])
	if err != nil {
		return err
	}
	src, dst := args[1], args[2]
	remote := &src
	if !strings.Contains(src, ":") {
		remote = &dst
	}
	service, path, ok := strings.Cut(*remote, ":")
	if !ok {
		return fmt.Errorf("either source or destination must be <service>:<path>")
	}
	ids, err := dockerList("ps", "-q", "--filter", "label=com.docker.swarm.service.name="+a.stack()+"_"+service)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("no containers matching the %s service", service)
	}
	*remote = ids[0] + ":" + path
	if err := docker("", nil, "", "cp", src, dst); err != nil {
		return err
	}
	info("%s copied to %s", args[1], args[2])
	return nil
}

func first(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func names(ss []secretSpec) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.name)
	}
	return out
}

// randomValue makes a secret of n characters: hex digits for charset=hex,
// else letters and digits.
func randomValue(n int, charset string) (string, error) {
	chars := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	if charset == "hex" {
		chars = "0123456789abcdef"
	}
	out := make([]byte, n)
	for i := range out {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		if err != nil {
			return "", err
		}
		out[i] = chars[k.Int64()]
	}
	return string(out), nil
}

// abra app restart <domain> [<service>] [--all-services]: as abra does,
// each service is scaled to 0 replicas and, once its containers are gone,
// back to 1, waiting until it runs again.
func appRestart(c *cli, args []string) error {
	a, err := c.findApp(first(args))
	if err != nil {
		return err
	}
	deployed, err := a.deployed()
	if err != nil {
		return err
	}
	if !deployed {
		return fmt.Errorf("%s is not deployed?", a.domain)
	}
	var services []string
	switch {
	case c.flags["all-services"] == "true" || c.flags["all"] == "true":
		names, err := dockerList("service", "ls", "--format", "{{.Name}}", "--filter", "label=com.docker.stack.namespace="+a.stack())
		if err != nil {
			return err
		}
		for _, n := range names {
			services = append(services, strings.TrimPrefix(n, a.stack()+"_"))
		}
	case len(args) >= 2:
		services = args[1:2]
	default:
		return fmt.Errorf("missing <service>? (or pass --all-services to restart them all)")
	}
	for _, s := range services {
		full := a.stack() + "_" + s
		if _, err := dockerList("service", "inspect", "--format", "{{.ID}}", full); err != nil {
			return fmt.Errorf("no such service %s in %s: %w", s, a.domain, err)
		}
		if err := docker("", nil, "", "service", "scale", "--detach", full+"=0"); err != nil {
			return err
		}
		if err := waitReplicas(full, 0, 2*time.Minute); err != nil {
			return err
		}
		if os.Getenv("ABRA_STANDIN_FAIL") == "restart" {
			return fmt.Errorf("%s: scaled to 0 and not back up: ABRA_STANDIN_FAIL=restart", full)
		}
		if err := docker("", nil, "", "service", "scale", "--detach", full+"=1"); err != nil {
			return err
		}
		if err := waitReplicas(full, 1, 3*time.Minute); err != nil {
			return err
		}
		info("%s service successfully restarted", s)
	}
	return nil
}

// waitReplicas waits until service runs n tasks and, at 0, until its
// containers have stopped too.
func waitReplicas(service string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		states, err := dockerList("service", "ps", "--filter", "desired-state=running", "--format", "{{.CurrentState}}", service)
		if err != nil {
			return err
		}
		up := 0
		for _, s := range states {
			if strings.HasPrefix(s, "Running") {
				up++
			}
		}
		done := up == n && len(states) == n
		if n == 0 {
			cts, err := dockerList("ps", "-q", "--filter", "label=com.docker.swarm.service.name="+service)
			if err != nil {
				return err
			}
			done = len(states) == 0 && len(cts) == 0
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d of %d tasks running after %s", service, up, n, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitNoContainers waits until no container of stack is left.
func waitNoContainers(stack string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		cts, err := dockerList("ps", "-aq", "--filter", "label=com.docker.stack.namespace="+stack)
		if err != nil {
			return err
		}
		if len(cts) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d containers still there after %s", stack, len(cts), timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
