// Package matrixsynapse holds the recipe tests of Co-op Cloud's
// matrix-synapse recipe (Synapse, the Matrix homeserver, with PostgreSQL
// and an nginx in front publishing the client and federation APIs): what
// recipe-test's custom stage runs against the deployed app. With plain
// `go test` only the parsing tests of the documented answers run; the
// others skip, since no app is deployed.
//
// Unverified here: no Synapse image can be built or pulled on the
// machines these tests were written on. The requests and the answers they
// read follow Synapse's documented admin API and the Matrix
// client-server and server-server APIs.
package matrixsynapse

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// adminRegisterURL is Synapse's shared-secret registration endpoint as
// seen from its own container: the recipe does not publish the admin API.
const adminRegisterURL = "http://localhost:8008/_synapse/admin/v1/register"

// inContainer runs curl in Synapse's container with args and returns the
// answer's status and body.
func inContainer(t *testing.T, env *harness.Env, args ...string) (int, []byte) {
	t.Helper()
	cmd := append([]string{"curl", "-sS", "-w", "\n%{http_code}"}, args...)
	res := env.Exec(t, "app", cmd...)
	if res.ExitCode != 0 {
		t.Fatalf("curl in the app's container (%s): exit %d: %s", args[len(args)-1], res.ExitCode, res.Stderr)
	}
	i := strings.LastIndex(res.Stdout, "\n")
	code, err := strconv.Atoi(strings.TrimSpace(res.Stdout[i+1:]))
	if i < 0 || err != nil {
		t.Fatalf("curl in the app's container: no status in %q", res.Stdout)
	}
	return code, []byte(res.Stdout[:i])
}

// newNonce asks Synapse for a registration nonce.
func newNonce(t *testing.T, env *harness.Env) string {
	t.Helper()
	code, body := inContainer(t, env, adminRegisterURL)
	var n nonceAnswer
	if code != http.StatusOK || json.Unmarshal(body, &n) != nil || n.Nonce == "" {
		t.Fatalf("GET %s: %d %s", adminRegisterURL, code, body)
	}
	return n.Nonce
}

// postRegister sends a shared-secret registration from Synapse's
// container and returns the status and body.
func postRegister(t *testing.T, env *harness.Env, req registerRequest) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return inContainer(t, env, "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", string(b), adminRegisterURL)
}

// register makes an account through the shared-secret admin endpoint,
// with the MAC computed from the recipe's registration secret.
func register(t *testing.T, env *harness.Env, user, password string) session {
	t.Helper()
	nonce := newNonce(t, env)
	code, body := postRegister(t, env, registerRequest{Nonce: nonce, Username: user, Displayname: user, Password: password,
		Mac: registerMAC(env.Secret(t, "registration"), nonce, user, password, false)})
	var s session
	if code != http.StatusOK || json.Unmarshal(body, &s) != nil || s.UserID == "" || s.AccessToken == "" {
		t.Fatalf("registering %s: %d %s", user, code, body)
	}
	if !strings.HasPrefix(s.UserID, "@"+user+":") {
		t.Fatalf("registered %s as %s", user, s.UserID)
	}
	return s
}

// mx sends a client-server API request through the ingress, with an access
// token ("" for none) and a JSON body (nil for none).
func mx(t *testing.T, c *harness.Client, method, path, token string, in any) *harness.Response {
	t.Helper()
	var body *bytes.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.URL(path), body)
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.Do(t, req)
}

// login logs a user in with the password and returns the session.
func login(t *testing.T, c *harness.Client, user, password string) session {
	t.Helper()
	var s session
	mx(t, c, http.MethodPost, "/_matrix/client/v3/login", "", map[string]any{
		"type":       "m.login.password",
		"identifier": map[string]string{"type": "m.id.user", "user": user},
		"password":   password,
	}).WantStatus(t, http.StatusOK).JSON(t, &s)
	if s.AccessToken == "" || !strings.HasPrefix(s.UserID, "@"+user+":") {
		t.Fatalf("login of %s: %+v", user, s)
	}
	return s
}

// localpart is a fresh Matrix user name (lower case, as Synapse requires).
func localpart(t *testing.T, env *harness.Env, name string) string {
	return "rt-" + name + "-" + strings.ToLower(env.Credential(t, "localpart-"+name)[:8])
}

// Synapse answers its health endpoint in its container, and the client API
// through the recipe's nginx lists the spec versions it speaks.
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	res := env.Exec(t, "app", "curl", "-fsS", "http://localhost:8008/health")
	if res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "OK" {
		t.Errorf("/health in the app's container: exit %d: %q %s", res.ExitCode, res.Stdout, res.Stderr)
	}
	var v clientVersions
	env.HTTP().Get(t, "/_matrix/client/versions").WantStatus(t, http.StatusOK).JSON(t, &v)
	if !hasVersionPrefix(v.Versions, "v1.") {
		t.Errorf("client versions %v: no v1.x", v.Versions)
	}
}

func hasVersionPrefix(versions []string, prefix string) bool {
	for _, v := range versions {
		if strings.HasPrefix(v, prefix) {
			return true
		}
	}
	return false
}

// The federation API is published and names the implementation: Synapse.
func TestFederationVersion(t *testing.T) {
	env := harness.Load(t)
	var v federationVersion
	env.HTTP().Get(t, "/_matrix/federation/v1/version").WantStatus(t, http.StatusOK).JSON(t, &v)
	if v.Server.Name != "Synapse" || v.Server.Version == "" {
		t.Errorf("federation version %+v, want Synapse with a version", v)
	}
}

// The predecessor's test: two users registered through the shared-secret
// admin endpoint (from Synapse's container) log in; one creates a room and
// invites the other, who joins and reads back the message the first sent.
func TestRegisterAndMessage(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	alice, bob := localpart(t, env, "alice"), localpart(t, env, "bob")
	alicePw, bobPw := env.Credential(t, "alice-password"), env.Credential(t, "bob-password")
	register(t, env, alice, alicePw)
	register(t, env, bob, bobPw)
	a, b := login(t, c, alice, alicePw), login(t, c, bob, bobPw)

	var room roomAnswer
	mx(t, c, http.MethodPost, "/_matrix/client/v3/createRoom", a.AccessToken, map[string]any{
		"name": "recipe-test " + alice, "preset": "private_chat",
	}).WantStatus(t, http.StatusOK).JSON(t, &room)
	if room.RoomID == "" {
		t.Fatal("createRoom: no room_id")
	}
	roomPath := "/_matrix/client/v3/rooms/" + url.PathEscape(room.RoomID)
	joinPath := "/_matrix/client/v3/join/" + url.PathEscape(room.RoomID)
	// Uninvited, bob cannot join the private room: the invitation is what
	// lets him in.
	mx(t, c, http.MethodPost, joinPath, b.AccessToken, map[string]any{}).WantStatus(t, http.StatusForbidden)
	mx(t, c, http.MethodPost, roomPath+"/invite", a.AccessToken, map[string]string{"user_id": b.UserID}).WantStatus(t, http.StatusOK)
	var joined roomAnswer
	mx(t, c, http.MethodPost, joinPath, b.AccessToken, map[string]any{}).WantStatus(t, http.StatusOK).JSON(t, &joined)
	if joined.RoomID != room.RoomID {
		t.Fatalf("joined %q, want %q", joined.RoomID, room.RoomID)
	}

	body := "hello from recipe-test " + env.Credential(t, "message")[:12]
	txn := "rt-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var sent sendAnswer
	mx(t, c, http.MethodPut, roomPath+"/send/m.room.message/"+txn, a.AccessToken, map[string]string{"msgtype": "m.text", "body": body}).
		WantStatus(t, http.StatusOK).JSON(t, &sent)
	if sent.EventID == "" {
		t.Fatal("send: no event_id")
	}

	// Bob reads it back: in the room's timeline, and by its id.
	harness.WaitUntil(t, 30*time.Second, time.Second, func() error {
		var m messages
		r := mx(t, c, http.MethodGet, roomPath+"/messages?dir=b&limit=20", b.AccessToken, nil)
		if r.Status != http.StatusOK {
			return &statusError{r}
		}
		r.JSON(t, &m)
		e, err := m.message(body)
		if err != nil {
			return err
		}
		if e.Sender != a.UserID || e.EventID != sent.EventID || e.Content.Msgtype != "m.text" {
			t.Fatalf("message read back: %+v, want %s from %s", e, sent.EventID, a.UserID)
		}
		return nil
	})
	var e roomEvent
	mx(t, c, http.MethodGet, roomPath+"/event/"+url.PathEscape(sent.EventID), b.AccessToken, nil).WantStatus(t, http.StatusOK).JSON(t, &e)
	if e.Content.Body != body || e.Sender != a.UserID {
		t.Errorf("event %s: %+v", sent.EventID, e)
	}
	var members joinedMembers
	mx(t, c, http.MethodGet, roomPath+"/joined_members", b.AccessToken, nil).WantStatus(t, http.StatusOK).JSON(t, &members)
	if _, ok := members.Joined[a.UserID]; !ok {
		t.Errorf("joined members %v lack %s", members.Joined, a.UserID)
	}
	if _, ok := members.Joined[b.UserID]; !ok {
		t.Errorf("joined members %v lack %s", members.Joined, b.UserID)
	}
}

// The shared-secret registration refuses a MAC made with another secret
// and never accepts a nonce twice; the client API refuses a wrong password
// and a request without a token.
func TestRegistrationAndLoginRefusals(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	user, password := localpart(t, env, "eve"), env.Credential(t, "eve-password")
	nonce := newNonce(t, env)
	code, body := postRegister(t, env, registerRequest{Nonce: nonce, Username: user, Password: password,
		Mac: registerMAC(env.Secret(t, "registration")+"x", nonce, user, password, false)})
	if code != http.StatusForbidden {
		t.Errorf("a MAC from another secret: %d %s, want 403", code, body)
	}
	// The refused attempt used the nonce up: the right MAC with it is refused too.
	code, body = postRegister(t, env, registerRequest{Nonce: nonce, Username: user, Password: password,
		Mac: registerMAC(env.Secret(t, "registration"), nonce, user, password, false)})
	if code != http.StatusBadRequest {
		t.Errorf("a used nonce: %d %s, want 400", code, body)
	}

	register(t, env, user, password)
	var me matrixError
	r := mx(t, c, http.MethodPost, "/_matrix/client/v3/login", "", map[string]any{
		"type": "m.login.password", "identifier": map[string]string{"type": "m.id.user", "user": user}, "password": password + "x",
	})
	r.WantStatus(t, http.StatusForbidden).JSON(t, &me)
	if me.Errcode != "M_FORBIDDEN" {
		t.Errorf("a wrong password: %+v, want M_FORBIDDEN", me)
	}
	r = mx(t, c, http.MethodGet, "/_matrix/client/v3/joined_rooms", "", nil)
	r.WantStatus(t, http.StatusUnauthorized).JSON(t, &me)
	if me.Errcode != "M_MISSING_TOKEN" {
		t.Errorf("no token: %+v, want M_MISSING_TOKEN", me)
	}
	login(t, c, user, password)
}

// statusError is an answer with an unexpected status, for WaitUntil.
type statusError struct{ r *harness.Response }

func (e *statusError) Error() string { return e.r.String() }
