package n8n

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// The owner account the tests set up at the first start (n8n's first user,
// made through POST /rest/owner/setup), and its session: one for every
// test of the run. n8n allows a handful of logins a few minutes per client
// (429 Too Many Requests after that), so the tests share one session
// rather than each logging in.
var owner struct {
	once     sync.Once
	email    string
	password string

	mu     sync.Mutex
	token  string    // the session's n8n-auth cookie
	issued time.Time // when n8n issued it
}

// ownerCredentials returns the run's owner account.
func ownerCredentials(t *testing.T, env *harness.Env) (email, password string) {
	owner.once.Do(func() {
		owner.email = "rt-owner@" + env.Domain
		owner.password = env.Credential(t, "owner-password")
	})
	return owner.email, owner.password
}

// envelope is how n8n's REST API (/rest/...) wraps every answer.
type envelope[T any] struct {
	Data T `json:"data"`
}

// user is the part of n8n's public user object the tests read.
type user struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Role      string `json:"role"`
}

// node is one node of a workflow.
type node struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	TypeVersion float64        `json:"typeVersion"`
	Position    []float64      `json:"position"`
	Parameters  map[string]any `json:"parameters"`
}

// workflow is the part of n8n's workflow object the tests write and read.
type workflow struct {
	ID          string         `json:"id,omitempty"`
	Name        string         `json:"name"`
	Active      bool           `json:"active"`
	Nodes       []node         `json:"nodes"`
	Connections map[string]any `json:"connections"`
	Settings    map[string]any `json:"settings"`
	VersionID   string         `json:"versionId,omitempty"`
	IsArchived  bool           `json:"isArchived,omitempty"`
}

// session is a client of n8n's REST API that sends a session cookie.
type session struct {
	c     *harness.Client
	token string
}

// do sends a request with the session's cookie and in, when not nil, as
// its JSON body; the answer is returned whatever its status.
func (s session) do(t *testing.T, method, path string, in any) *harness.Response {
	t.Helper()
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("%s %s: encoding the body: %v", method, path, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.c.URL(path), body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.AddCookie(&http.Cookie{Name: authCookie, Value: s.token})
	return s.c.Do(t, req)
}

// getJSON asks for path, wants 200 and decodes the answer into out.
func (s session) getJSON(t *testing.T, path string, out any) {
	t.Helper()
	s.do(t, http.MethodGet, path, nil).WantStatus(t, http.StatusOK).JSON(t, out)
}

// authCookie is the name of n8n's session cookie.
const authCookie = "n8n-auth"

// signedIn returns the owner's session, setting the owner up first when
// the instance has none (a fresh database), as n8n's first start asks,
// else logging in once for the run.
func signedIn(t *testing.T, env *harness.Env) session {
	t.Helper()
	email, password := ownerCredentials(t, env)
	owner.mu.Lock()
	defer owner.mu.Unlock()
	if owner.token != "" {
		return session{c: env.HTTP(), token: owner.token}
	}
	c := env.HTTP()
	var settings envelope[struct {
		UserManagement struct {
			ShowSetupOnFirstLoad bool `json:"showSetupOnFirstLoad"`
		} `json:"userManagement"`
	}]
	c.GetJSON(t, "/rest/settings", &settings)
	var u envelope[user]
	var r *harness.Response
	if settings.Data.UserManagement.ShowSetupOnFirstLoad {
		r = c.PostJSON(t, "/rest/owner/setup", map[string]string{
			"email": email, "firstName": "Recipe", "lastName": "Test", "password": password,
		}, &u)
		r.WantStatus(t, http.StatusOK)
	} else {
		r = c.PostJSON(t, "/rest/login", map[string]string{"emailOrLdapLoginId": email, "password": password}, &u)
		if r.Status != http.StatusOK {
			t.Fatalf("login as %s: %s (the owner is set up by the first test of a run: was the database set up before?)", email, r)
		}
	}
	token := cookie(r, authCookie)
	if u.Data.Email != email || u.Data.Role != "global:owner" || token == "" {
		t.Fatalf("%s %s answered the user %+v, %s cookie set: %v", r.Method, r.URL, u.Data, authCookie, token != "")
	}
	owner.token, owner.issued = token, time.Now()
	return session{c: c, token: token}
}

// cookie returns the value of the cookie name the response sets, or "".
func cookie(r *harness.Response, name string) string {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// runName is a name unique to the run and the test.
func runName(t *testing.T, env *harness.Env, what string) string {
	return "rt-" + what + "-" + strings.ToLower(env.Credential(t, what)[:8])
}

// manualWorkflow is a workflow of one Manual Trigger node.
func manualWorkflow(name string) workflow {
	return workflow{
		Name: name,
		Nodes: []node{{
			ID: "3f1d6f8e-0000-4000-8000-000000000001", Name: "When clicking Execute workflow",
			Type: "n8n-nodes-base.manualTrigger", TypeVersion: 1, Position: []float64{0, 0}, Parameters: map[string]any{},
		}},
		Connections: map[string]any{},
		Settings:    map[string]any{"executionOrder": "v1"},
	}
}

// createWorkflow makes a workflow and removes it when the test ends
// (n8n deletes only archived workflows: archived first).
func createWorkflow(t *testing.T, s session, w workflow) workflow {
	t.Helper()
	var made envelope[workflow]
	r := s.do(t, http.MethodPost, "/rest/workflows", w).WantStatus(t, http.StatusOK)
	r.JSON(t, &made)
	if made.Data.ID == "" {
		t.Fatalf("POST /rest/workflows answered no id: %s", r)
	}
	t.Cleanup(func() { deleteWorkflow(t, s, made.Data.ID) })
	return made.Data
}

// deleteWorkflow archives and deletes a workflow, if it is still there.
func deleteWorkflow(t *testing.T, s session, id string) {
	t.Helper()
	if r := s.do(t, http.MethodGet, "/rest/workflows/"+id, nil); r.Status == http.StatusNotFound {
		return
	}
	if r := s.do(t, http.MethodPost, "/rest/workflows/"+id+"/archive", map[string]any{}); r.Status != http.StatusOK {
		t.Errorf("archiving workflow %s: %s", id, r)
	}
	if r := s.do(t, http.MethodDelete, "/rest/workflows/"+id, nil); r.Status != http.StatusOK {
		t.Errorf("deleting workflow %s: %s", id, r)
	}
}

// The predecessor's health check: /healthz answers once n8n serves, and
// /healthz/readiness once its database is connected and migrated.
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	var health struct {
		Status string `json:"status"`
	}
	env.HTTP().GetJSON(t, "/healthz", &health)
	if health.Status != "ok" {
		t.Errorf("/healthz status %q, want ok", health.Status)
	}
	env.HTTP().GetJSON(t, "/healthz/readiness", &health)
	if health.Status != "ok" {
		t.Errorf("/healthz/readiness status %q, want ok", health.Status)
	}
}

// The predecessor's round trip: the owner set up as n8n documents, a
// workflow made through the REST API reads back with what it was made
// with, is in the list, and is gone once archived and deleted.
func TestWorkflowRoundTrip(t *testing.T) {
	env := harness.Load(t)
	s := signedIn(t, env)
	name := runName(t, env, "roundtrip")
	made := createWorkflow(t, s, manualWorkflow(name))

	var got envelope[workflow]
	s.getJSON(t, "/rest/workflows/"+made.ID, &got)
	w := got.Data
	if w.ID != made.ID || w.Name != name || w.Active || w.VersionID == "" {
		t.Errorf("workflow %s read back as id %q name %q active %v version %q", made.ID, w.ID, w.Name, w.Active, w.VersionID)
	}
	if len(w.Nodes) != 1 || w.Nodes[0].Type != "n8n-nodes-base.manualTrigger" || w.Nodes[0].Name != "When clicking Execute workflow" {
		t.Errorf("workflow %s nodes read back as %+v", made.ID, w.Nodes)
	}

	var list envelope[[]workflow]
	s.getJSON(t, "/rest/workflows", &list)
	found := false
	for _, l := range list.Data {
		found = found || (l.ID == made.ID && l.Name == name)
	}
	if !found {
		t.Errorf("GET /rest/workflows lacks %s (%s) among %d workflows", made.ID, name, len(list.Data))
	}

	deleteWorkflow(t, s, made.ID)
	if r := s.do(t, http.MethodGet, "/rest/workflows/"+made.ID, nil); r.Status != http.StatusNotFound {
		t.Errorf("workflow %s after deletion: %s, want 404", made.ID, r)
	}
}

// The predecessor's REST settings test: the settings n8n's editor loads
// say what the recipe configured (the public host, the webhook URL, the
// database) and that the owner is set up.
func TestRESTSettings(t *testing.T) {
	env := harness.Load(t)
	var settings envelope[struct {
		SettingsMode   string `json:"settingsMode"`
		VersionCli     string `json:"versionCli"`
		InstanceID     string `json:"instanceId"`
		DatabaseType   string `json:"databaseType"`
		URLBaseWebhook string `json:"urlBaseWebhook"`
		URLBaseEditor  string `json:"urlBaseEditor"`
		UserManagement struct {
			ShowSetupOnFirstLoad bool   `json:"showSetupOnFirstLoad"`
			AuthenticationMethod string `json:"authenticationMethod"`
		} `json:"userManagement"`
		AuthCookie struct {
			Secure bool `json:"secure"`
		} `json:"authCookie"`
	}]
	signedIn(t, env).getJSON(t, "/rest/settings", &settings)
	d := settings.Data
	if d.SettingsMode != "authenticated" {
		t.Errorf("settingsMode %q with the owner's session, want authenticated", d.SettingsMode)
	}
	// The recipe's N8N_SECURE_COOKIE follows the scheme (recipe.toml's [env]).
	if https := strings.HasPrefix(env.BaseURL, "https://"); d.AuthCookie.Secure != https {
		t.Errorf("authCookie.secure %v served over %s", d.AuthCookie.Secure, env.BaseURL)
	}
	// The run's base URL is the recipe's N8N_PROTOCOL (recipe.toml's
	// [env]) and domain.
	want := strings.TrimSuffix(env.BaseURL, "/") + "/"
	if d.URLBaseWebhook != want {
		t.Errorf("urlBaseWebhook %q, want %q (the recipe's WEBHOOK_URL)", d.URLBaseWebhook, want)
	}
	if strings.TrimSuffix(d.URLBaseEditor, "/") != strings.TrimSuffix(want, "/") {
		t.Errorf("urlBaseEditor %q, want %q (the recipe's N8N_PROTOCOL and N8N_HOST)", d.URLBaseEditor, want)
	}
	if d.DatabaseType != "sqlite" {
		t.Errorf("databaseType %q, want sqlite", d.DatabaseType)
	}
	if d.VersionCli == "" || d.InstanceID == "" {
		t.Errorf("versionCli %q instanceId %q: want both", d.VersionCli, d.InstanceID)
	}
	if d.UserManagement.ShowSetupOnFirstLoad || d.UserManagement.AuthenticationMethod != "email" {
		t.Errorf("userManagement %+v: want the owner set up, email authentication", d.UserManagement)
	}
}

// The predecessor's login state test: the session cookie identifies the
// owner, a client without it or after logout is refused, and so is a
// wrong password.
func TestLoginState(t *testing.T) {
	env := harness.Load(t)
	s := signedIn(t, env)
	email, password := ownerCredentials(t, env)
	var me envelope[user]
	s.getJSON(t, "/rest/login", &me)
	if me.Data.Email != email || me.Data.ID == "" || me.Data.Role != "global:owner" {
		t.Errorf("GET /rest/login with the session: %+v, want the owner %s", me.Data, email)
	}
	if r := env.HTTP().Get(t, "/rest/login"); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /rest/login without a session: %s, want 401", r)
	}
	if r := env.HTTP().Get(t, "/rest/workflows"); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /rest/workflows without a session: %s, want 401", r)
	}
	bad := env.HTTP().PostJSON(t, "/rest/login", map[string]string{"emailOrLdapLoginId": email, "password": password + "x"}, nil)
	if bad.Status != http.StatusUnauthorized || cookie(bad, authCookie) != "" {
		t.Errorf("login with a wrong password: %s, want 401 and no cookie", bad)
	}

	// A second session logs in and out; the first stays signed in. n8n's
	// token is a JWT of the user and the second it was issued in, so a
	// second login within the same second would get the same token (and
	// the logout would end both): wait for the next second first.
	owner.mu.Lock()
	wait := time.Until(owner.issued.Add(1100 * time.Millisecond))
	owner.mu.Unlock()
	time.Sleep(max(wait, 0))
	other := env.Session()
	other.PostJSON(t, "/rest/login", map[string]string{"emailOrLdapLoginId": email, "password": password}, &me).WantStatus(t, http.StatusOK)
	if me.Data.Email != email {
		t.Errorf("second login: %+v", me.Data)
	}
	other.GetJSON(t, "/rest/login", &me)
	other.PostJSON(t, "/rest/logout", map[string]any{}, nil).WantStatus(t, http.StatusOK)
	if r := other.Get(t, "/rest/login"); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /rest/login after logout: %s, want 401", r)
	}
	me = envelope[user]{}
	s.getJSON(t, "/rest/login", &me)
	if me.Data.Email != email {
		t.Errorf("the first session after the second logged out: %+v", me.Data)
	}
}

// n8n keeps its state where the recipe's backupbot label saves it: the
// running n8n has the SQLite database /home/node/.n8n/database.sqlite open,
// n8n's own CLI reads that database (its export of every workflow
// succeeds, or finds none), and /home/node/.n8n/config holds the
// encryption key without which restored credentials could not be read.
func TestStateOnDataVolume(t *testing.T) {
	env := harness.Load(t)
	const db = "/home/node/.n8n/database.sqlite"
	open := env.ExecShell(t, "app", `for p in /proc/[0-9]*; do
  case "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" in *bin/n8n*) ls -l "$p/fd" 2>/dev/null ;; esac
done | grep -o '/home/node/\.n8n/database\.sqlite.*' | sort -u`)
	files := strings.Split(strings.TrimSpace(open.Stdout), "\n")
	if open.ExitCode != 0 || !slices.ContainsFunc(files, func(f string) bool { return strings.HasPrefix(f, db) }) {
		t.Fatalf("the running n8n has no %s open (exit %d): %q %s", db, open.ExitCode, open.Stdout, open.Stderr)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "(deleted)") {
			// The file was replaced on disk (a restore of the volume) while
			// n8n ran: n8n keeps serving the one it opened until it restarts.
			t.Logf("warning: the running n8n serves %s, replaced on disk since it opened it: it reads the file on the volume once restarted", f)
		}
	}
	export := env.ExecShell(t, "app", `n8n export:workflow --all --output=/tmp/rt-export.json; s=$?; rm -f /tmp/rt-export.json; exit $s`)
	if export.ExitCode != 0 && !strings.Contains(export.Stdout+export.Stderr, "No workflows found") {
		t.Errorf("n8n's CLI cannot export the workflows of %s: exit %d\n%s%s", db, export.ExitCode, export.Stdout, export.Stderr)
	}
	var config struct {
		EncryptionKey string `json:"encryptionKey"`
	}
	if err := json.Unmarshal(env.ReadFile(t, "app", "/home/node/.n8n/config"), &config); err != nil || config.EncryptionKey == "" {
		t.Errorf("/home/node/.n8n/config holds no encryption key (%v): credentials would not survive a restore", err)
	}
}

// In Chromium: the owner signs in on n8n's sign-in page, lands in the
// editor's overview with the workflow the test made, and is still signed
// in after a reload (the session cookie is kept).
func TestSignInSurvivesReload(t *testing.T) {
	env := harness.Load(t)
	name := runName(t, env, "browser")
	createWorkflow(t, signedIn(t, env), manualWorkflow(name))
	email, password := ownerCredentials(t, env)

	b := env.Browser(t)
	b.Navigate(t, "/signin")
	b.WaitVisible(t, `[data-test-id="auth-form"] input[type="email"]`)
	b.Screenshot(t, "signin")
	b.SendKeys(t, `[data-test-id="auth-form"] input[type="email"]`, email)
	b.SendKeys(t, `[data-test-id="auth-form"] input[type="password"]`, password)
	b.Click(t, `[data-test-id="form-submit-button"]`)
	b.WaitLocation(t, env.BaseURL+"/home")
	harness.WaitUntil(t, time.Minute, time.Second, func() error {
		if body := b.Text(t, "body"); !strings.Contains(body, name) {
			return fmt.Errorf("the workflows overview lacks %s", name)
		}
		return nil
	})
	b.Screenshot(t, "workflows")

	b.Navigate(t, "/home/workflows")
	harness.WaitUntil(t, time.Minute, time.Second, func() error {
		if loc := b.Location(t); !strings.HasPrefix(loc, env.BaseURL+"/home") {
			return fmt.Errorf("after the reload the browser is at %s, not the workflows overview", loc)
		}
		if body := b.Text(t, "body"); !strings.Contains(body, name) {
			return fmt.Errorf("the workflows overview after the reload lacks %s", name)
		}
		return nil
	})
	b.Screenshot(t, "reloaded")
}
