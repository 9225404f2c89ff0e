package uptimekuma

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// The admin account the tests make at the first start (Uptime Kuma has one
// user, made through its setup page): the same for every test of the run.
var admin struct {
	once     sync.Once
	user     string
	password string
}

// adminCredentials returns the run's admin account.
func adminCredentials(t *testing.T, env *harness.Env) (user, password string) {
	admin.once.Do(func() {
		admin.user = "rt-admin"
		admin.password = env.Credential(t, "admin-password")
	})
	return admin.user, admin.password
}

// connect opens a Socket.IO session with the app through the run's
// ingress, closed when the test ends.
func connect(t *testing.T, env *harness.Env) *Socket {
	t.Helper()
	// The session outlives the test's context, which ends before the
	// cleanups that still use it (deleting monitors) run: Close ends it.
	s, err := Dial(context.WithoutCancel(t.Context()), env.HTTPClient(), env.BaseURL)
	if err != nil {
		t.Fatalf("connecting to Uptime Kuma's Socket.IO API: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// loggedIn returns a session logged in as the admin, making the admin
// account first when the app asks for its setup (a fresh database).
func loggedIn(t *testing.T, env *harness.Env) *Socket {
	t.Helper()
	s := connect(t, env)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	user, password := adminCredentials(t, env)
	got, err := s.Call(ctx, "needSetup")
	if err != nil {
		t.Fatal(err)
	}
	var needSetup bool
	if len(got) != 1 || json.Unmarshal(got[0], &needSetup) != nil {
		t.Fatalf("needSetup answered %s", got)
	}
	if needSetup {
		r, err := call(ctx, s, "setup", user, password)
		if err != nil || !r.OK {
			t.Fatalf("setup of the admin account: %+v %v", r, err)
		}
	}
	r, err := call(ctx, s, "login", map[string]string{"username": user, "password": password, "token": ""})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Token == "" {
		t.Fatalf("login as %s: %+v (the admin account is made by the first test of a run: was the database set up before?)", user, r)
	}
	return s
}

// addMonitor adds a monitor and deletes it when the test ends.
func addMonitor(t *testing.T, s *Socket, fields map[string]any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	r, err := call(ctx, s, "add", newMonitor(fields))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.MonitorID <= 0 {
		t.Fatalf("add monitor %v: %+v", fields["name"], r)
	}
	id := r.MonitorID
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if r, err := call(ctx, s, "deleteMonitor", id); err != nil || !r.OK {
			t.Errorf("deleting monitor %d: %+v %v", id, r, err)
		}
	})
	return id
}

// runName is a name unique to the run and the test.
func runName(t *testing.T, env *harness.Env, what string) string {
	return "rt-" + what + "-" + strings.ToLower(env.Credential(t, what)[:8])
}

// The predecessor's test: a monitor created through the app's API is in
// the monitor list the app sends (after the add, and when asked again),
// and reads back with the fields it was made with.
func TestMonitorRoundTrip(t *testing.T) {
	env := harness.Load(t)
	s := loggedIn(t, env)
	name := runName(t, env, "roundtrip")
	target := "http://127.0.0.1:3001/" + name
	id := addMonitor(t, s, map[string]any{"name": name, "url": target, "interval": 300,
		"accepted_statuscodes": []string{"200-299", "404"}})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	inList := func(e Event) bool {
		l, err := decodeMonitorList(e)
		return err == nil && l[strconv.Itoa(id)].Name == name
	}
	if _, err := s.WaitEvent(ctx, "monitorList", inList); err != nil {
		t.Fatalf("the monitor list after the add: %v", err)
	}
	// Asked again on a second session: the list comes from the database.
	s2 := loggedIn(t, env)
	if r, err := call(ctx, s2, "getMonitorList"); err != nil || !r.OK {
		t.Fatalf("getMonitorList: %+v %v", r, err)
	}
	e, err := s2.WaitEvent(ctx, "monitorList", inList)
	if err != nil {
		t.Fatalf("the monitor list of a second session: %v", err)
	}
	list, _ := decodeMonitorList(e)
	m := list[strconv.Itoa(id)]
	if m.ID != id || m.Type != "http" || m.URL != target || m.Method != "GET" || m.Interval != 300 || !m.Active ||
		strings.Join(m.AcceptedStatusCodes, ",") != "200-299,404" {
		t.Errorf("monitor %d in the list: %+v", id, m)
	}
	r, err := call(ctx, s2, "getMonitor", id)
	if err != nil || !r.OK || r.Monitor == nil {
		t.Fatalf("getMonitor %d: %+v %v", id, r, err)
	}
	if r.Monitor.Name != name || r.Monitor.URL != target {
		t.Errorf("getMonitor %d: %+v", id, r.Monitor)
	}
}

// What Uptime Kuma is for: an HTTP monitor checks its target and reports a
// heartbeat; here the app watches its own web server and finds it up.
func TestHTTPMonitorReportsUp(t *testing.T) {
	env := harness.Load(t)
	s := loggedIn(t, env)
	name := runName(t, env, "http-up")
	id := addMonitor(t, s, map[string]any{"name": name, "url": "http://127.0.0.1:3001/", "interval": 20, "timeout": 16})
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	e, err := s.WaitEvent(ctx, "heartbeat", func(e Event) bool {
		h, err := decodeHeartbeat(e)
		return err == nil && h.MonitorID == id
	})
	if err != nil {
		t.Fatalf("no heartbeat of monitor %d: %v", id, err)
	}
	if h, _ := decodeHeartbeat(e); h.Status != StatusUp || h.Time == "" {
		t.Errorf("first heartbeat of monitor %d: %+v, want status %d (up)", id, h, StatusUp)
	}
}

// A push monitor is fed over plain HTTP (/api/push/<token>), as a cron job
// would: the push is accepted and arrives as the monitor's heartbeat with
// its message; a wrong token is refused.
func TestPushMonitor(t *testing.T) {
	env := harness.Load(t)
	s := loggedIn(t, env)
	name := runName(t, env, "push")
	token := strings.ToLower(env.Credential(t, "push-token")[:16])
	id := addMonitor(t, s, map[string]any{"type": "push", "name": name, "url": "https://", "pushToken": token, "interval": 300})
	msg := "rt-" + strings.ToLower(env.Credential(t, "push-msg")[:8])
	c := env.HTTP()
	var ok struct {
		OK  bool   `json:"ok"`
		Msg string `json:"msg"`
	}
	resp := c.Get(t, "/api/push/"+token+"?"+url.Values{"status": {"up"}, "msg": {msg}}.Encode())
	resp.WantStatus(t, http.StatusOK).JSON(t, &ok)
	if !ok.OK {
		t.Fatalf("push: %s", resp)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	e, err := s.WaitEvent(ctx, "heartbeat", func(e Event) bool {
		h, err := decodeHeartbeat(e)
		return err == nil && h.MonitorID == id && h.Msg == msg
	})
	if err != nil {
		t.Fatalf("the push did not arrive as a heartbeat of monitor %d: %v", id, err)
	}
	if h, _ := decodeHeartbeat(e); h.Status != StatusUp {
		t.Errorf("heartbeat %+v, want status %d (up)", h, StatusUp)
	}
	bad := c.Get(t, "/api/push/"+token+"x?status=up")
	if bad.Status != http.StatusNotFound {
		t.Errorf("a push with a wrong token: %s, want 404", bad)
	}
}

// The login refuses a wrong password and a session that did not log in
// may not add monitors.
func TestLoginRequired(t *testing.T) {
	env := harness.Load(t)
	loggedIn(t, env) // the admin exists
	s := connect(t, env)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	user, _ := adminCredentials(t, env)
	r, err := call(ctx, s, "login", map[string]string{"username": user, "password": "wrong-" + env.Credential(t, "wrong"), "token": ""})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || r.Token != "" || r.Msg == "" {
		t.Errorf("login with a wrong password: %+v", r)
	}
	r, err = call(ctx, s, "add", newMonitor(map[string]any{"name": runName(t, env, "anon"), "url": "http://127.0.0.1:3001/"}))
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || r.MonitorID != 0 {
		t.Errorf("add without a login: %+v", r)
	}
}

// The dashboard: the login page renders, the admin logs in through it, and
// the dashboard lists a monitor made through the API.
func TestDashboardInBrowser(t *testing.T) {
	env := harness.Load(t)
	s := loggedIn(t, env)
	name := runName(t, env, "browser")
	addMonitor(t, s, map[string]any{"name": name, "url": "http://127.0.0.1:3001/", "interval": 300})
	user, password := adminCredentials(t, env)

	b := env.Browser(t)
	b.Navigate(t, "/")
	b.WaitVisible(t, "#floatingInput")
	b.Screenshot(t, "login")
	b.SendKeys(t, "#floatingInput", user)
	b.SendKeys(t, "#floatingPassword", password)
	b.Click(t, `form button[type="submit"]`)
	b.WaitLocation(t, env.BaseURL+"/dashboard")
	b.WaitVisible(t, ".monitor-list .item")
	harness.WaitUntil(t, 30*time.Second, time.Second, func() error {
		if list := b.Text(t, ".monitor-list"); !strings.Contains(list, name) {
			return fmt.Errorf("the dashboard's monitor list lacks %s: %q", name, list)
		}
		return nil
	})
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "dashboard")
}
