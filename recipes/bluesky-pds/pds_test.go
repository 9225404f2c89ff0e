// Package blueskypds holds the recipe tests of Co-op Cloud's bluesky-pds
// recipe: a Bluesky PDS (atproto Personal Data Server) answering XRPC
// calls on its domain. They run in recipe-test's custom stage against the
// deployed app (harness.Load skips them anywhere else).
package blueskypds

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// The PDS answers its health endpoint with its version.
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	var health struct {
		Version string `json:"version"`
	}
	wantOK(t, "_health", xrpc(t, env.HTTP(), auth{}, "_health", nil, nil, &health))
	if health.Version == "" {
		t.Fatal("_health answered no version")
	}
	t.Logf("PDS version %s", health.Version)
}

// describeServer names the server's DID (did:web of its hostname unless the
// recipe sets another), offers handles under the app's domain, and says
// whether accounts need an invite code, as the recipe configures it.
func TestDescribeServer(t *testing.T) {
	env := harness.Load(t)
	var desc struct {
		DID                   string   `json:"did"`
		AvailableUserDomains  []string `json:"availableUserDomains"`
		InviteCodeRequired    *bool    `json:"inviteCodeRequired"`
		PhoneVerificationReqd *bool    `json:"phoneVerificationRequired"`
	}
	wantOK(t, "describeServer", xrpc(t, env.HTTP(), auth{}, "com.atproto.server.describeServer", nil, nil, &desc))
	if !strings.HasPrefix(desc.DID, "did:") {
		t.Errorf("did = %q, want a DID", desc.DID)
	}
	if !slices.Contains(desc.AvailableUserDomains, "."+env.Domain) {
		t.Errorf("availableUserDomains = %v, want .%s (handles under the app's domain)", desc.AvailableUserDomains, env.Domain)
	}
	if desc.InviteCodeRequired == nil {
		t.Fatal("describeServer does not say whether an invite code is required")
	}
	if want, ok := env.Env["INVITE_REQUIRED"]; ok && (want == "true") != *desc.InviteCodeRequired {
		t.Errorf("inviteCodeRequired = %t, but the app's INVITE_REQUIRED is %q", *desc.InviteCodeRequired, want)
	}
}

// Without an account there is no session: createSession refuses unknown
// credentials and getSession a request without a token, each with 401 and
// AuthenticationRequired (AuthMissing without any token), as the lexicons
// document; a token that is not one is a bad request; the admin endpoints
// refuse a wrong admin password.
func TestSessionRequiresAuth(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	resp := xrpc(t, c, auth{}, "com.atproto.server.createSession", nil, map[string]string{
		"identifier": "nobody." + env.Domain,
		"password":   env.Credential(t, "no-such-password"),
	}, nil)
	wantError(t, "createSession", resp, http.StatusUnauthorized, "AuthenticationRequired")
	// Without a token: 401, AuthMissing (0.5's name; older PDSs say
	// AuthenticationRequired).
	resp = xrpc(t, c, auth{}, "com.atproto.server.getSession", nil, nil, nil)
	if e := decodeError(t, "getSession", resp); resp.Status != http.StatusUnauthorized || (e.Error != "AuthMissing" && e.Error != "AuthenticationRequired") {
		t.Errorf("getSession without a token: %d %q (%s), want 401 AuthMissing", resp.Status, e.Error, e.Message)
	}
	wantError(t, "getSession", xrpc(t, c, bearer("not-a-token"), "com.atproto.server.getSession", nil, nil, nil), http.StatusBadRequest, "InvalidToken")
	wrong := auth{basicUser: "admin", basicPass: env.Credential(t, "wrong-admin-password")}
	wantError(t, "createInviteCode", xrpc(t, c, wrong, "com.atproto.server.createInviteCode", nil, map[string]int{"useCount": 1}, nil), http.StatusUnauthorized, "AuthenticationRequired")
}

// An account created with the recipe's settings (an invite code made with
// its admin password when invites are required) logs in: createSession
// with the handle and the password, getSession with the token; a post
// written to its repository (createRecord) reads back (getRecord, with and
// without the token, and listRecords), and the handle resolves to the
// account's DID.
func TestAccountSessionAndRecordRoundTrip(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	acct, password := newAccount(t, env, "alice")

	var s session
	wantOK(t, "createSession", xrpc(t, c, auth{}, "com.atproto.server.createSession", nil, map[string]string{
		"identifier": acct.Handle, "password": password,
	}, &s))
	if s.DID != acct.DID || s.Handle != acct.Handle || s.AccessJwt == "" {
		t.Fatalf("createSession: did %q handle %q, want %q %q with a token", s.DID, s.Handle, acct.DID, acct.Handle)
	}
	wantError(t, "createSession", xrpc(t, c, auth{}, "com.atproto.server.createSession", nil, map[string]string{
		"identifier": acct.Handle, "password": password + "x",
	}, nil), http.StatusUnauthorized, "AuthenticationRequired")

	var me struct {
		Handle string `json:"handle"`
		DID    string `json:"did"`
		Email  string `json:"email"`
		Active *bool  `json:"active"`
	}
	wantOK(t, "getSession", xrpc(t, c, bearer(s.AccessJwt), "com.atproto.server.getSession", nil, nil, &me))
	if me.DID != acct.DID || me.Handle != acct.Handle || me.Email != "alice@"+env.Domain || me.Active == nil || !*me.Active {
		t.Fatalf("getSession = %+v, want the account %s %s, active", me, acct.Handle, acct.DID)
	}

	text := "recipe-test round trip " + env.Credential(t, "post-text")[:12]
	created := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	var rec struct {
		URI string `json:"uri"`
		CID string `json:"cid"`
	}
	wantOK(t, "createRecord", xrpc(t, c, bearer(s.AccessJwt), "com.atproto.repo.createRecord", nil, map[string]any{
		"repo":       acct.DID,
		"collection": "app.bsky.feed.post",
		"record":     map[string]any{"$type": "app.bsky.feed.post", "text": text, "createdAt": created},
	}, &rec))
	prefix := "at://" + acct.DID + "/app.bsky.feed.post/"
	if !strings.HasPrefix(rec.URI, prefix) || rec.CID == "" {
		t.Fatalf("createRecord = %+v, want a URI under %s and a CID", rec, prefix)
	}
	rkey := strings.TrimPrefix(rec.URI, prefix)

	params := url.Values{"repo": {acct.DID}, "collection": {"app.bsky.feed.post"}, "rkey": {rkey}}
	for _, a := range []auth{bearer(s.AccessJwt), {}} {
		var got struct {
			URI   string `json:"uri"`
			CID   string `json:"cid"`
			Value struct {
				Type      string `json:"$type"`
				Text      string `json:"text"`
				CreatedAt string `json:"createdAt"`
			} `json:"value"`
		}
		wantOK(t, "getRecord", xrpc(t, c, a, "com.atproto.repo.getRecord", params, nil, &got))
		if got.URI != rec.URI || got.CID != rec.CID || got.Value.Type != "app.bsky.feed.post" || got.Value.Text != text || got.Value.CreatedAt != created {
			t.Fatalf("getRecord (token: %t) = %+v, want the post written (%s, %q)", a.bearer != "", got, rec.URI, text)
		}
	}
	var list struct {
		Records []struct {
			URI string `json:"uri"`
		} `json:"records"`
	}
	wantOK(t, "listRecords", xrpc(t, c, auth{}, "com.atproto.repo.listRecords", url.Values{"repo": {acct.Handle}, "collection": {"app.bsky.feed.post"}}, nil, &list))
	if len(list.Records) != 1 || list.Records[0].URI != rec.URI {
		t.Fatalf("listRecords = %+v, want exactly %s", list.Records, rec.URI)
	}

	var resolved struct {
		DID string `json:"did"`
	}
	wantOK(t, "resolveHandle", xrpc(t, c, auth{}, "com.atproto.identity.resolveHandle", url.Values{"handle": {acct.Handle}}, nil, &resolved))
	if resolved.DID != acct.DID {
		t.Fatalf("resolveHandle(%s) = %q, want %q", acct.Handle, resolved.DID, acct.DID)
	}
}

// The supplied PLC rotation key is the one that controls new accounts'
// identities: the PLC directory the PDS uses holds the account's did:plc
// with the key derived from the recipe's plc_rotation_key secret as its
// rotation key, the handle as its alias and the PDS's domain as its
// service endpoint. The did:key of the secret is computed in the app's
// container with the PDS's own crypto library.
func TestAccountRegisteredWithSuppliedRotationKey(t *testing.T) {
	env := harness.Load(t)
	acct, _ := newAccount(t, env, "bob")
	want := rotationDIDKey(t, env)

	r := env.ExecShell(t, "app", `wget -q -O - "$PDS_DID_PLC_URL/`+acct.DID+`/data"`)
	if r.ExitCode != 0 {
		t.Fatalf("reading %s from the PLC directory: exit %d: %s", acct.DID, r.ExitCode, r.Stderr)
	}
	var data struct {
		RotationKeys        []string          `json:"rotationKeys"`
		VerificationMethods map[string]string `json:"verificationMethods"`
		AlsoKnownAs         []string          `json:"alsoKnownAs"`
		Services            map[string]struct {
			Type     string `json:"type"`
			Endpoint string `json:"endpoint"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &data); err != nil {
		t.Fatalf("the PLC directory's data for %s: %v: %s", acct.DID, err, r.Stdout)
	}
	if !slices.Contains(data.RotationKeys, want) {
		t.Errorf("rotation keys %v, want the supplied key %s among them", data.RotationKeys, want)
	}
	if !slices.Contains(data.AlsoKnownAs, "at://"+acct.Handle) {
		t.Errorf("alsoKnownAs %v, want at://%s", data.AlsoKnownAs, acct.Handle)
	}
	if pds := data.Services["atproto_pds"]; pds.Type != "AtprotoPersonalDataServer" || pds.Endpoint != "https://"+env.Domain {
		t.Errorf("atproto_pds service %+v, want AtprotoPersonalDataServer at https://%s", pds, env.Domain)
	}
	if !strings.HasPrefix(data.VerificationMethods["atproto"], "did:key:") {
		t.Errorf("verificationMethods %v, want an atproto signing key", data.VerificationMethods)
	}
}

// rotationDIDKey is the did:key of the plc_rotation_key secret, derived in
// the app's container by @atproto/crypto, the library the PDS signs PLC
// operations with (resolved from the PDS package, so it is found whatever
// the image's node_modules layout).
func rotationDIDKey(t *testing.T, env *harness.Env) string {
	t.Helper()
	const script = `cd /app && node --input-type=module -e '
import { createRequire } from "node:module"
import { readFileSync } from "node:fs"
const req = createRequire(createRequire("/app/").resolve("@atproto/pds"))
const { Secp256k1Keypair } = await import(req.resolve("@atproto/crypto"))
const hex = readFileSync("/run/secrets/plc_rotation_key", "utf8").trim()
const key = await Secp256k1Keypair.import(hex)
console.log(key.did())
'`
	r := env.ExecShell(t, "app", script)
	did := strings.TrimSpace(r.Stdout)
	if r.ExitCode != 0 || !strings.HasPrefix(did, "did:key:z") {
		t.Fatalf("deriving the rotation key's did:key: exit %d: %s %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	return did
}

// The PDS's landing page renders in Chromium: the text the PDS serves at
// its root, with no console errors.
func TestLandingPageRendersInBrowser(t *testing.T) {
	env := harness.Load(t)
	b := env.Browser(t)
	if status := b.Navigate(t, "/"); status != http.StatusOK {
		t.Fatalf("/ answered %d", status)
	}
	b.WaitVisible(t, "body")
	text := b.Text(t, "body")
	if !strings.Contains(text, "AT Protocol") || !strings.Contains(text, "/xrpc/") {
		t.Errorf("landing page text lacks the PDS's greeting:\n%s", text)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "landing")
}
