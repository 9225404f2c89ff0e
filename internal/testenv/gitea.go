package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
)

const (
	// GiteaVersion is the Gitea release scripts/setup-gitea.sh builds.
	GiteaVersion = "1.26.0"

	// GiteaEnv names the environment variable that points at a Gitea binary
	// to use instead of the one scripts/setup-gitea.sh caches.
	GiteaEnv = "RECIPE_TEST_GITEA"

	// giteaStartTimeout bounds the wait for a started server to answer.
	giteaStartTimeout = 60 * time.Second
	// giteaStopTimeout is how long StopGitea waits after SIGTERM before
	// killing the server.
	giteaStopTimeout = 5 * time.Second
	// giteaCmdTimeout bounds each gitea command run before the server
	// (migrate, admin user create).
	giteaCmdTimeout = 60 * time.Second
	// giteaRequestTimeout bounds each API request of the helpers.
	giteaRequestTimeout = 30 * time.Second
)

// Gitea is a real Gitea server, started by GiteaServer for the tests of one
// test binary: on 127.0.0.1, with a fresh SQLite database, an admin user
// and nothing else. Its API lists at most 10 items per page (both
// MAX_RESPONSE_ITEMS and DEFAULT_PAGING_NUM are 10), so pagination is tested
// with a few items.
type Gitea struct {
	// URL is the server's base URL, http://127.0.0.1:PORT, without a
	// trailing slash; the API is at URL + "/api/v1".
	URL string
	// Token is an access token of the admin with all scopes.
	Token string
	// Admin is the admin's user name; it owns the repositories PullRequest
	// creates.
	Admin string

	dir           string // work folder: app.ini, database, repositories, logs
	bin           string
	password      string // the admin's password
	secretKey     string // app.ini secrets, the same at every rewrite
	internalToken string
	client        *http.Client

	cmd     *exec.Cmd     // the web process
	exited  chan struct{} // closed when the web process has exited
	waitErr error         // the web process's exit status, once exited is closed
}

// The server shared by the test binary: started by the first GiteaServer
// call, stopped by StopGitea. giteaMu is held while starting, so concurrent
// first callers wait for the one start and all see its outcome.
var (
	giteaMu      sync.Mutex
	giteaStarted bool
	giteaShared  *Gitea
	giteaErr     error // why the start failed, reported to every caller
	giteaMissing bool  // the failure is a missing binary: skip, not fail

	// giteaSeq makes the names User and PullRequest create unique.
	giteaSeq atomic.Int64
)

// GiteaServer returns the Gitea server shared by the whole test binary,
// starting it on the first call (under a second on a 2-CPU machine). If the binary is missing
// (see GiteaBinary), t is skipped, or failed when resources are required; if
// it is there but the server fails to start, t fails, and so does every
// later caller, with the same error.
//
// A package whose tests use it must stop it when they are done, from
// TestMain:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		testenv.StopGitea()
//		os.Exit(code)
//	}
func GiteaServer(t testing.TB) *Gitea {
	t.Helper()
	giteaMu.Lock()
	defer giteaMu.Unlock()
	if !giteaStarted {
		giteaStarted = true
		giteaShared, giteaErr, giteaMissing = nil, nil, false
		bin, err := GiteaBinary()
		if err != nil {
			giteaErr, giteaMissing = err, true
		} else {
			giteaShared, giteaErr = startGitea(bin)
		}
	}
	switch {
	case giteaMissing:
		unavailable(t, "testenv: %v", giteaErr)
		return nil
	case giteaErr != nil:
		t.Fatalf("testenv: start gitea: %v", giteaErr)
		return nil
	}
	return giteaShared
}

// StopGitea stops the server GiteaServer started, if any: SIGTERM, then
// SIGKILL if it has not exited within a few seconds. It waits for the
// process to exit and removes the server's folder. A later GiteaServer call
// starts a new server. It is safe to call when no server was started.
func StopGitea() {
	giteaMu.Lock()
	defer giteaMu.Unlock()
	if giteaShared != nil {
		giteaShared.stop()
	}
	giteaStarted, giteaShared, giteaErr, giteaMissing = false, nil, nil, false
}

const (
	// giteaDirPrefix names the servers' folders in the temporary folder.
	giteaDirPrefix = "recipe-test-gitea-"
	// giteaOwnerFile, in a server's folder, holds the PID of the test
	// binary that started it.
	giteaOwnerFile = "owner.pid"
)

// removeStaleGiteaDirs removes the folders of servers whose test binary is
// gone without stopping them (killed at a timeout, say; the server itself
// was killed with it).
func removeStaleGiteaDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), giteaDirPrefix+"*"))
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, giteaOwnerFile))
		if err != nil {
			continue // not ours, or being made
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

// processAlive reports whether a process pid exists (signal 0 checks
// without sending anything).
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// GiteaBinary returns the path of the Gitea binary the tests run: the value
// of $RECIPE_TEST_GITEA if set, else the one scripts/setup-gitea.sh caches
// in ${RECIPE_TEST_CACHE:-$HOME/.cache/recipe-test}/gitea-<version>/gitea.
// The error says how to get it when the file is not there.
func GiteaBinary() (string, error) {
	if bin := os.Getenv(GiteaEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("gitea not found at $%s: %v", GiteaEnv, err)
		}
		return bin, nil
	}
	cache, err := CacheDir()
	if err != nil {
		return "", fmt.Errorf("gitea not built: %w", err)
	}
	bin := filepath.Join(cache, "gitea-"+GiteaVersion, "gitea")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("gitea not built (no %s): run scripts/setup-gitea.sh", bin)
	}
	return bin, nil
}

// startGitea prepares a server in a fresh folder and starts it. On failure
// nothing is left running and the folder is removed.
func startGitea(bin string) (*Gitea, error) {
	removeStaleGiteaDirs()
	dir, err := os.MkdirTemp("", giteaDirPrefix)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, giteaOwnerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	g := &Gitea{
		Admin:         "recipe-test-admin",
		dir:           dir,
		bin:           bin,
		password:      randomHex(16),
		secretKey:     randomHex(32),
		internalToken: randomHex(32),
		client:        &http.Client{Timeout: giteaRequestTimeout},
	}
	if err := g.start(); err != nil {
		g.stop()
		return nil, err
	}
	return g, nil
}

func (g *Gitea) start() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	if err := g.writeConfig(port); err != nil {
		return err
	}
	if _, err := g.run("migrate"); err != nil {
		return err
	}
	out, err := g.run("admin", "user", "create", "--admin",
		"--username", g.Admin, "--password", g.password, "--email", g.Admin+"@example.com",
		"--must-change-password=false", "--access-token", "--access-token-scopes", "all")
	if err != nil {
		return err
	}
	const prefix = "Access token was successfully created... "
	for _, line := range strings.Split(out, "\n") {
		if tok, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			g.Token = strings.TrimSpace(tok)
		}
	}
	if g.Token == "" {
		return fmt.Errorf("gitea admin user create printed no access token:\n%s", out)
	}
	return g.startWebOn(port)
}

// startWebOn starts the server on port. The port was free a moment ago; if
// another process took it since (the server logs that and keeps running),
// the server is stopped and started again on another port.
func (g *Gitea) startWebOn(port int) error {
	for attempt := 1; ; attempt++ {
		g.URL = "http://127.0.0.1:" + strconv.Itoa(port)
		err := g.startWeb()
		if err == nil {
			return nil
		}
		if attempt == 3 || !errors.Is(err, errPortInUse) {
			return err
		}
		if port, err = freePort(); err != nil {
			return err
		}
		if err := g.writeConfig(port); err != nil {
			return err
		}
	}
}

// writeConfig writes the server's app.ini for the port.
func (g *Gitea) writeConfig(port int) error {
	var b strings.Builder
	section := func(name string, kv ...string) {
		if name != "" {
			fmt.Fprintf(&b, "\n[%s]\n", name)
		}
		for i := 0; i < len(kv); i += 2 {
			fmt.Fprintf(&b, "%s = %s\n", kv[i], kv[i+1])
		}
	}
	p := func(elem ...string) string { return filepath.Join(append([]string{g.dir}, elem...)...) }
	section("",
		"I_AM_BEING_UNSAFE_RUNNING_AS_ROOT", "true", // tests often run as root in containers
		"APP_NAME", "recipe-test",
		"RUN_MODE", "prod",
		"WORK_PATH", g.dir)
	section("server",
		"PROTOCOL", "http",
		"HTTP_ADDR", "127.0.0.1",
		"HTTP_PORT", strconv.Itoa(port),
		"ROOT_URL", fmt.Sprintf("http://127.0.0.1:%d/", port),
		// The module's templates and locales; the frontend assets are not
		// built, which only the web UI needs.
		"STATIC_ROOT_PATH", filepath.Dir(g.bin),
		"APP_DATA_PATH", p("data"),
		"OFFLINE_MODE", "true",
		"DISABLE_SSH", "true",
		"START_SSH_SERVER", "false",
		"LFS_START_SERVER", "false",
		"GRACEFUL_HAMMER_TIME", "2s")
	section("database",
		"DB_TYPE", "sqlite3",
		"PATH", p("data", "gitea.db"),
		// Far fewer syncs than the default rollback journal: the
		// migration that creates the tables takes a quarter of the time.
		"SQLITE_JOURNAL_MODE", "WAL",
		"SQLITE_TIMEOUT", "10000") // ms a writer waits for another
	section("repository",
		"ROOT", p("repos"),
		"DEFAULT_BRANCH", "main")
	section("security",
		"INSTALL_LOCK", "true",
		// Set here, so that the server does not generate and save them.
		"SECRET_KEY", g.secretKey,
		"INTERNAL_TOKEN", g.internalToken,
		// Basic auth (User creates tokens with it) hashes the password at
		// every request: a cheap hash keeps that fast. Test passwords only.
		"PASSWORD_HASH_ALGO", "pbkdf2$1000$50",
		// PullRequest imports repositories from local folders.
		"IMPORT_LOCAL_PATHS", "true")
	section("oauth2", "ENABLED", "false")
	section("service",
		"DISABLE_REGISTRATION", "true")
	section("mailer", "ENABLED", "false")
	section("picture", "DISABLE_GRAVATAR", "true")
	section("log",
		"MODE", "file",
		"LEVEL", "Warn",
		"ROOT_PATH", p("log"))
	section("api",
		"MAX_RESPONSE_ITEMS", "10",
		"DEFAULT_PAGING_NUM", "10")
	section("migrations", "ALLOW_LOCALNETWORKS", "true")
	// In-memory queues and the database issue indexer: nothing to set up
	// on disk at start.
	section("queue", "TYPE", "channel")
	section("indexer",
		"ISSUE_INDEXER_TYPE", "db",
		"REPO_INDEXER_ENABLED", "false")
	section("actions", "ENABLED", "false")
	section("packages", "ENABLED", "false")
	section("cron.update_checker", "ENABLED", "false")
	return os.WriteFile(p("app.ini"), []byte(b.String()), 0o600)
}

// giteaEnv is the environment of the gitea commands: this process's, without
// the GITEA_* variables that would move its work or custom folder.
func giteaEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITEA_") {
			env = append(env, kv)
		}
	}
	return env
}

// run runs "gitea -c app.ini args..." to completion and returns its output.
func (g *Gitea) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), giteaCmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.bin, append([]string{"-c", filepath.Join(g.dir, "app.ini")}, args...)...)
	cmd.Dir = g.dir
	cmd.Env = giteaEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("gitea %s: %v\n%s", strings.Join(args, " "), err, excerpt.LastLines(string(out), 30))
	}
	return string(out), nil
}

// startWeb starts "gitea web" and waits until its API answers.
func (g *Gitea) startWeb() error {
	// Only this start's log lines count: an earlier start's "address
	// already in use" would fail this one.
	if err := os.RemoveAll(filepath.Join(g.dir, "log", "gitea.log")); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(g.dir, "web.log"))
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(g.bin, "-c", filepath.Join(g.dir, "app.ini"), "web")
	cmd.Dir = g.dir
	cmd.Env = giteaEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	setParentDeathSignal(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start gitea web: %v", err)
	}
	g.cmd = cmd
	g.exited = make(chan struct{})
	go func(exited chan struct{}) {
		g.waitErr = cmd.Wait()
		close(exited)
	}(g.exited)

	deadline := time.Now().Add(giteaStartTimeout)
	probe := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-g.exited:
			return fmt.Errorf("gitea web exited at start (%v); its log ends:\n%s", g.waitErr, g.logTail())
		default:
		}
		err := g.probeVersion(probe)
		if err == nil {
			return nil
		}
		// The server does not exit when it cannot listen: it logs it.
		if log := g.logTail(); strings.Contains(log, "address already in use") {
			g.stopWeb()
			return fmt.Errorf("%w: %s; its log ends:\n%s", errPortInUse, g.URL, log)
		}
		if time.Now().After(deadline) {
			g.stopWeb()
			return fmt.Errorf("gitea web did not answer GET %s/api/v1/version within %v (last: %v); its log ends:\n%s",
				g.URL, giteaStartTimeout, err, g.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errPortInUse = errors.New("gitea web cannot listen: address already in use")

// probeVersion checks that the server answers GET /api/v1/version with a
// version: a Gitea answers, not another server that took the port.
func (g *Gitea) probeVersion(probe *http.Client) error {
	res, err := probe.Get(g.URL + "/api/v1/version")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var v struct{ Version string }
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil || v.Version == "" {
		return fmt.Errorf("answer is no Gitea version (%v)", err)
	}
	return nil
}

// setParentDeathSignal asks the kernel to kill the server if this process
// dies without stopping it (a test timeout panics, for example), where the
// system offers that (Linux: SysProcAttr.Pdeathsig; looked up by name so
// that this compiles everywhere).
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	f := reflect.ValueOf(attr).Elem().FieldByName("Pdeathsig")
	if f.IsValid() && f.CanSet() && f.Type() == reflect.TypeOf(syscall.SIGKILL) {
		f.Set(reflect.ValueOf(syscall.SIGKILL))
	}
}

// stopWeb stops the web process, if running, and waits for it to exit.
func (g *Gitea) stopWeb() {
	if g.cmd == nil {
		return
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.exited:
	case <-time.After(giteaStopTimeout):
		_ = g.cmd.Process.Kill()
		<-g.exited
	}
	g.cmd = nil
}

func (g *Gitea) stop() {
	g.stopWeb()
	if g.dir != "" {
		if err := os.RemoveAll(g.dir); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: remove the gitea folder: %v\n", err)
		}
	}
}

// logTail returns the end of the server's output and log file.
func (g *Gitea) logTail() string {
	var parts []string
	for _, name := range []string{"web.log", filepath.Join("log", "gitea.log")} {
		data, err := os.ReadFile(filepath.Join(g.dir, name))
		if err == nil && len(bytes.TrimSpace(data)) > 0 {
			parts = append(parts, "== "+name+" ==\n"+excerpt.LastLines(string(data), 30))
		}
	}
	if len(parts) == 0 {
		return "(no log)"
	}
	return strings.Join(parts, "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// auth sets a request's credentials.
type auth func(*http.Request)

func tokenAuth(token string) auth {
	return func(r *http.Request) { r.Header.Set("Authorization", "token "+token) }
}

func basicAuth(user, password string) auth {
	return func(r *http.Request) { r.SetBasicAuth(user, password) }
}

// giteaAPIError is a Gitea API answer with an unexpected status.
type giteaAPIError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *giteaAPIError) Error() string {
	return fmt.Sprintf("%s /api/v1%s: status %d: %s", e.Method, e.Path, e.Status, e.Message)
}

// api calls the API: method on /api/v1+path, with in (if not nil) as the
// JSON body, and decodes the JSON answer into out (if not nil). An answer
// with another status than want is a *giteaAPIError.
func (g *Gitea) api(a auth, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, g.URL+"/api/v1"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if a != nil {
		a(req)
	}
	res, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s /api/v1%s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s /api/v1%s: read answer: %v", method, path, err)
	}
	if res.StatusCode != want {
		msg := strings.TrimSpace(string(data))
		var e struct{ Message string }
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		return &giteaAPIError{Method: method, Path: path, Status: res.StatusCode, Message: msg}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s /api/v1%s: decode answer: %v", method, path, err)
		}
	}
	return nil
}

// User makes name a user of the server, not an admin, and returns a new
// access token of it with the given scopes (Gitea's names: "read:user",
// "write:issue", "write:repository", "all", ...; Gitea makes no token
// without one). The user is created through the admin API; if it exists
// already (an earlier call), its password is reset, so every call gets a
// working token, and earlier tokens stay valid. The token is made with basic
// auth of the user, as a person makes one.
func (g *Gitea) User(t testing.TB, name string, scopes ...string) (token string) {
	t.Helper()
	if len(scopes) == 0 {
		t.Fatalf("testenv: gitea: User(%q): no scopes: Gitea makes no token without one", name)
		return ""
	}
	password := randomHex(16)
	err := g.api(tokenAuth(g.Token), http.MethodPost, "/admin/users", map[string]any{
		"username": name, "email": name + "@example.com", "password": password,
		"must_change_password": false,
	}, nil, http.StatusCreated)
	var apiErr *giteaAPIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnprocessableEntity &&
		strings.Contains(apiErr.Message, "already exists") {
		err = g.api(tokenAuth(g.Token), http.MethodPatch, "/admin/users/"+name, map[string]any{
			"login_name": name, "source_id": 0, "password": password,
			"must_change_password": false,
		}, nil, http.StatusOK)
	}
	if err != nil {
		t.Fatalf("testenv: gitea: create user %q: %v", name, err)
		return ""
	}
	var tok struct {
		SHA1 string `json:"sha1"`
	}
	tokenName := fmt.Sprintf("test-%d", giteaSeq.Add(1))
	if err := g.api(basicAuth(name, password), http.MethodPost, "/users/"+name+"/tokens",
		map[string]any{"name": tokenName, "scopes": scopes}, &tok, http.StatusCreated); err != nil {
		t.Fatalf("testenv: gitea: create token %v of user %q: %v", scopes, name, err)
		return ""
	}
	if tok.SHA1 == "" {
		t.Fatalf("testenv: gitea: create token of user %q: empty token in the answer", name)
	}
	return tok.SHA1
}

// PullRequest creates a fresh repository owned by the admin (g.Admin) and
// opens a pull request in it: branch "main", the default, holds one commit
// adding README.md; branch "change" one more, adding change.txt; the pull
// request asks to merge "change" into "main". It returns the repository's
// name (unique per call), the pull request's number and its head commit as
// the API reports it.
//
// The repository is built locally with go-git and imported with the
// migration API from its path (the server allows admins to import local
// paths): a single clone, much faster than creating it through the API,
// where every commit is a push running three server hooks.
func (g *Gitea) PullRequest(t testing.TB) (repo string, pr int, headSHA string) {
	t.Helper()
	n := giteaSeq.Add(1)
	repo = fmt.Sprintf("recipe-%d", n)
	src, err := os.MkdirTemp(g.dir, "src-")
	if err != nil {
		t.Fatalf("testenv: gitea: pull request: %v", err)
		return "", 0, ""
	}
	defer os.RemoveAll(src)
	commit, err := pullRequestSource(src, repo)
	if err != nil {
		t.Fatalf("testenv: gitea: pull request: make the repository to import: %v", err)
		return "", 0, ""
	}
	admin := tokenAuth(g.Token)
	if err := g.api(admin, http.MethodPost, "/repos/migrate", map[string]any{
		"clone_addr": src, "service": "git", "repo_owner": g.Admin, "repo_name": repo,
	}, nil, http.StatusCreated); err != nil {
		t.Fatalf("testenv: gitea: import repository %s/%s from %s: %v", g.Admin, repo, src, err)
		return "", 0, ""
	}
	var p struct {
		Number int `json:"number"`
		Head   struct {
			SHA string `json:"sha"`
		} `json:"head"`
	}
	if err := g.api(admin, http.MethodPost, "/repos/"+g.Admin+"/"+repo+"/pulls", map[string]any{
		"title": "Change " + repo, "head": "change", "base": "main",
	}, &p, http.StatusCreated); err != nil {
		t.Fatalf("testenv: gitea: open pull request change -> main in %s/%s: %v", g.Admin, repo, err)
		return "", 0, ""
	}
	if p.Number <= 0 || p.Head.SHA != commit {
		t.Fatalf("testenv: gitea: pull request in %s/%s: number %d, head %q; want head %s",
			g.Admin, repo, p.Number, p.Head.SHA, commit)
		return "", 0, ""
	}
	return repo, p.Number, p.Head.SHA
}

// pullRequestSource makes in dir the git repository PullRequest imports and
// returns the commit of branch "change". HEAD is left on "main", which
// makes it the imported repository's default branch.
func pullRequestSource(dir, name string) (string, error) {
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return "", err
	}
	wt, err := r.Worktree()
	if err != nil {
		return "", err
	}
	sig := &object.Signature{Name: "recipe-test", Email: "recipe-test@example.com", When: time.Now()}
	commit := func(file, content, msg string) (plumbing.Hash, error) {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			return plumbing.ZeroHash, err
		}
		if _, err := wt.Add(file); err != nil {
			return plumbing.ZeroHash, err
		}
		return wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	}
	if _, err := commit("README.md", "# "+name+"\n", "Initial commit"); err != nil {
		return "", err
	}
	change := plumbing.NewBranchReferenceName("change")
	if err := wt.Checkout(&git.CheckoutOptions{Branch: change, Create: true}); err != nil {
		return "", err
	}
	head, err := commit("change.txt", "a change to "+name+"\n", "Add change.txt")
	if err != nil {
		return "", err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("main")}); err != nil {
		return "", err
	}
	return head.String(), nil
}

// GetJSON reads an API path (below /api/v1) as the admin and decodes the
// answer, failing t unless it is 200.
func (g *Gitea) GetJSON(t testing.TB, path string, out any) {
	t.Helper()
	if err := g.api(tokenAuth(g.Token), http.MethodGet, path, nil, out, http.StatusOK); err != nil {
		t.Fatalf("testenv: gitea: GET %s: %v", path, err)
	}
}

// Do calls the API as the admin: method on /api/v1+path with in (if not
// nil) as JSON, decoding the answer into out (if not nil); it fails t
// unless the answer's status is want.
func (g *Gitea) Do(t testing.TB, method, path string, in, out any, want int) {
	t.Helper()
	if err := g.api(tokenAuth(g.Token), method, path, in, out, want); err != nil {
		t.Fatalf("testenv: gitea: %v", err)
	}
}

// Org creates an organisation owned by the admin, with a name unique to
// the call, and returns the name.
func (g *Gitea) Org(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("org-%d", giteaSeq.Add(1))
	g.Do(t, http.MethodPost, "/orgs", map[string]any{"username": name, "visibility": "public"}, nil, http.StatusCreated)
	return name
}

// Import makes owner/name a plain (not mirrored) copy of the git
// repository in dir, branches and tags, through the migration API, as the
// admin; dir's HEAD branch becomes the default branch. It returns the
// repository's clone URL.
func (g *Gitea) Import(t testing.TB, owner, name, dir string) string {
	t.Helper()
	var r struct {
		CloneURL string `json:"clone_url"`
	}
	g.Do(t, http.MethodPost, "/repos/migrate", map[string]any{
		"clone_addr": dir, "service": "git", "repo_owner": owner, "repo_name": name,
	}, &r, http.StatusCreated)
	return r.CloneURL
}

// Raw reads the file path of repo (OWNER/NAME) at ref as the admin; ok is
// false when there is no such file. Another answer than 200 or 404 fails t.
func (g *Gitea) Raw(t testing.TB, repo, path, ref string) (content string, ok bool) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/repos/%s/raw/%s?ref=%s", g.URL, repo, path, url.QueryEscape(ref)), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+g.Token)
	res, err := g.client.Do(req)
	if err != nil {
		t.Fatalf("testenv: gitea: raw %s %s@%s: %v", repo, path, ref, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("testenv: gitea: raw %s %s@%s: %v", repo, path, ref, err)
	}
	switch res.StatusCode {
	case http.StatusOK:
		return string(data), true
	case http.StatusNotFound:
		return "", false
	}
	t.Fatalf("testenv: gitea: raw %s %s@%s: status %d: %s", repo, path, ref, res.StatusCode, data)
	return "", false
}
