package blueskypds

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// The XRPC calls the tests make, with the shapes of the answers they read
// (the com.atproto lexicons: https://docs.bsky.app/docs/category/http-reference).

// xrpcError is the body of every XRPC error answer.
type xrpcError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// session is what createAccount and createSession answer.
type session struct {
	AccessJwt  string `json:"accessJwt"`
	RefreshJwt string `json:"refreshJwt"`
	Handle     string `json:"handle"`
	DID        string `json:"did"`
}

// auth is how a call authenticates: a bearer token, HTTP basic (the admin
// password), or nothing.
type auth struct {
	bearer    string
	basicUser string
	basicPass string
}

func bearer(token string) auth { return auth{bearer: token} }

// admin authenticates as the PDS's administrator, with the recipe's
// admin_password secret.
func admin(env *harness.Env, t *testing.T) auth {
	return auth{basicUser: "admin", basicPass: env.Secret(t, "admin_password")}
}

// xrpc calls the method nsid: a query (GET, params in the query string) when
// in is nil, else a procedure (POST, in as JSON). It returns the response
// whatever its status; out, when not nil, is decoded from a 200's body.
func xrpc(t *testing.T, c *harness.Client, a auth, nsid string, params url.Values, in, out any) *harness.Response {
	t.Helper()
	path := "/xrpc/" + nsid
	if len(params) > 0 {
		path += "?" + params.Encode()
	}
	method, body := http.MethodGet, []byte(nil)
	if in != nil {
		method = http.MethodPost
		var err error
		if body, err = json.Marshal(in); err != nil {
			t.Fatalf("%s: encoding the input: %v", nsid, err)
		}
	}
	req, err := http.NewRequest(method, c.URL(path), bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", nsid, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case a.bearer != "":
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	case a.basicUser != "":
		req.SetBasicAuth(a.basicUser, a.basicPass)
	}
	resp := c.Do(t, req)
	if out != nil && resp.Status == http.StatusOK {
		resp.JSON(t, out)
	}
	return resp
}

// wantOK fails the test unless the call answered 200.
func wantOK(t *testing.T, nsid string, resp *harness.Response) {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Fatalf("%s: %d %s", nsid, resp.Status, resp.Body)
	}
}

// wantError fails the test unless the call answered status with the XRPC
// error name.
func wantError(t *testing.T, nsid string, resp *harness.Response, status int, name string) xrpcError {
	t.Helper()
	e := decodeError(t, nsid, resp)
	if resp.Status != status || e.Error != name {
		t.Fatalf("%s: %d %q (%s), want %d %q", nsid, resp.Status, e.Error, e.Message, status, name)
	}
	return e
}

// decodeError reads an XRPC error answer.
func decodeError(t *testing.T, nsid string, resp *harness.Response) xrpcError {
	t.Helper()
	var e xrpcError
	if err := json.Unmarshal(resp.Body, &e); err != nil || e.Error == "" {
		t.Fatalf("%s: %d, not an XRPC error body (%v): %s", nsid, resp.Status, err, resp.Body)
	}
	return e
}

// newAccount creates an account on the PDS, with an invite code made with
// the admin password when the server requires one, and returns its
// session and password. Its handle is a run-scoped name under the PDS's
// domain. The PDS registers the account's did:plc at its PLC directory:
// the test is skipped when that is the public directory, where a test
// must not register accounts.
func newAccount(t *testing.T, env *harness.Env, name string) (session, string) {
	t.Helper()
	requirePrivatePLC(t, env)
	c := env.HTTP()
	var desc struct {
		InviteCodeRequired bool `json:"inviteCodeRequired"`
	}
	wantOK(t, "describeServer", xrpc(t, c, auth{}, "com.atproto.server.describeServer", nil, nil, &desc))
	password := env.Credential(t, name+"-password")
	handle := "rt" + strings.ToLower(env.Credential(t, name+"-handle")[:10]) + "." + env.Domain
	in := map[string]string{
		"handle":   handle,
		"email":    name + "@" + env.Domain,
		"password": password,
	}
	if desc.InviteCodeRequired {
		var invite struct {
			Code string `json:"code"`
		}
		wantOK(t, "createInviteCode", xrpc(t, c, admin(env, t), "com.atproto.server.createInviteCode", nil, map[string]int{"useCount": 1}, &invite))
		if invite.Code == "" {
			t.Fatal("createInviteCode: no code")
		}
		in["inviteCode"] = invite.Code
	}
	var s session
	wantOK(t, "createAccount", xrpc(t, c, auth{}, "com.atproto.server.createAccount", nil, in, &s))
	if s.Handle != handle || !strings.HasPrefix(s.DID, "did:plc:") || s.AccessJwt == "" || s.RefreshJwt == "" {
		t.Fatalf("createAccount answered handle %q did %q (tokens present: %t, %t), want handle %q and a did:plc", s.Handle, s.DID, s.AccessJwt != "", s.RefreshJwt != "", handle)
	}
	return s, password
}

// requirePrivatePLC skips the test when the PDS registers accounts at the
// public PLC directory: the recipe's own default, which a test run must
// not fill with test accounts (the fixture copy of the recipe adds a
// directory of its own).
func requirePrivatePLC(t *testing.T, env *harness.Env) {
	t.Helper()
	plc := plcURL(t, env)
	if u, err := url.Parse(plc); err == nil && u.Host == "plc.directory" {
		t.Skipf("the PDS registers accounts at the public PLC directory (%s): a test must not create accounts there; deploy it with a PLC directory of its own (PDS_DID_PLC_URL)", plc)
	}
}

// plcURL is the PLC directory the deployed PDS uses.
func plcURL(t *testing.T, env *harness.Env) string {
	t.Helper()
	r := env.Exec(t, "app", "printenv", "PDS_DID_PLC_URL")
	if r.ExitCode != 0 {
		return "https://plc.directory" // the PDS's default
	}
	return strings.TrimSpace(r.Stdout)
}
