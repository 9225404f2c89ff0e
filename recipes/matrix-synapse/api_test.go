package matrixsynapse

import (
	"crypto/hmac"
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness/shape"
)

// nonceAnswer is the answer of GET /_synapse/admin/v1/register.
type nonceAnswer struct {
	Nonce string `json:"nonce"`
}

// registerRequest is the body of POST /_synapse/admin/v1/register.
type registerRequest struct {
	Nonce       string `json:"nonce"`
	Username    string `json:"username"`
	Displayname string `json:"displayname,omitempty"`
	Password    string `json:"password"`
	Admin       bool   `json:"admin"`
	Mac         string `json:"mac"`
}

// session is what registration and login answer: the account and its
// access token.
type session struct {
	UserID      string `json:"user_id"`
	AccessToken string `json:"access_token"`
	DeviceID    string `json:"device_id"`
}

// registerMAC is the documented MAC of a shared-secret registration: the
// hex HMAC-SHA1, keyed with the registration shared secret, of the nonce,
// the user, the password and "admin" or "notadmin", separated by NULs.
func registerMAC(secret, nonce, user, password string, admin bool) string {
	m := hmac.New(sha1.New, []byte(secret))
	role := "notadmin"
	if admin {
		role = "admin"
	}
	for i, part := range []string{nonce, user, password, role} {
		if i > 0 {
			m.Write([]byte{0})
		}
		m.Write([]byte(part))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// federationVersion is the answer of GET /_matrix/federation/v1/version.
type federationVersion struct {
	Server struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"server"`
}

// clientVersions is the answer of GET /_matrix/client/versions.
type clientVersions struct {
	Versions []string `json:"versions"`
}

// roomAnswer is the answer of createRoom and join.
type roomAnswer struct {
	RoomID string `json:"room_id"`
}

// sendAnswer is the answer of sending an event.
type sendAnswer struct {
	EventID string `json:"event_id"`
}

// roomEvent is one event of a room's timeline.
type roomEvent struct {
	Type    string   `json:"type"`
	EventID string   `json:"event_id"`
	Sender  string   `json:"sender"`
	RoomID  string   `json:"room_id"`
	Content struct { // an m.room.message's; other events' content has neither
		Msgtype string `json:"msgtype,omitempty"`
		Body    string `json:"body,omitempty"`
	} `json:"content"`
}

// messages is the answer of GET /rooms/{roomId}/messages: a page of the
// timeline.
type messages struct {
	Chunk []roomEvent `json:"chunk"`
	Start string      `json:"start"`
	End   string      `json:"end"`
}

// message returns the m.room.message event whose body is body.
func (m messages) message(body string) (roomEvent, error) {
	for _, e := range m.Chunk {
		if e.Type == "m.room.message" && e.Content.Body == body {
			return e, nil
		}
	}
	return roomEvent{}, fmt.Errorf("no m.room.message with body %q among %d events", body, len(m.Chunk))
}

// joinedMembers is the answer of GET /rooms/{roomId}/joined_members.
type joinedMembers struct {
	Joined map[string]struct {
		DisplayName string `json:"display_name"`
	} `json:"joined"`
}

// matrixError is the standard error body of the Matrix APIs.
type matrixError struct {
	Errcode string `json:"errcode"`
	Error   string `json:"error"`
}

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.json
var fixtures embed.FS

func decodeFixture(t *testing.T, name string, out any) {
	t.Helper()
	shape.Fixture(t, fixtures, "testdata/"+name, out)
}

// The MAC follows the documented algorithm: the values were computed with
// Python's hmac module, as Synapse's documentation shows it.
func TestRegisterMAC(t *testing.T) {
	for _, tc := range []struct {
		admin bool
		want  string
	}{
		{true, "710c6dadaa86722114480e481cfabf97698a99d7"},
		{false, "d32cf7efb847f3ba567791e7c56f805bcb25e99a"},
	} {
		if got := registerMAC("recipe-test-shared-secret", "thisisanonce", "pepper_roni", "pizza", tc.admin); got != tc.want {
			t.Errorf("admin=%v: mac %s, want %s", tc.admin, got, tc.want)
		}
	}
	if registerMAC("another-secret", "thisisanonce", "pepper_roni", "pizza", true) == "710c6dadaa86722114480e481cfabf97698a99d7" {
		t.Error("the MAC does not depend on the secret")
	}
	// The request carries the documented field names.
	b, err := json.Marshal(registerRequest{Nonce: "n", Username: "u", Password: "p", Mac: "m"})
	if err != nil || string(b) != `{"nonce":"n","username":"u","password":"p","admin":false,"mac":"m"}` {
		t.Errorf("request %s, %v", b, err)
	}
}

// The documented answers decode into what the recipe tests read.
func TestParseDocumentedAnswers(t *testing.T) {
	var n nonceAnswer
	decodeFixture(t, "register-nonce.json", &n)
	if n.Nonce != "thisisanonce" {
		t.Errorf("nonce %q", n.Nonce)
	}
	var reg session
	decodeFixture(t, "register.json", &reg)
	if reg.UserID != "@pepper_roni:localhost" || reg.AccessToken != "token_here" || reg.DeviceID != "device_id_here" {
		t.Errorf("registration %+v", reg)
	}
	var login session
	decodeFixture(t, "login.json", &login)
	if login.UserID != "@cheeky_monkey:matrix.org" || login.AccessToken != "abc123" {
		t.Errorf("login %+v", login)
	}
	var fv federationVersion
	decodeFixture(t, "federation-version.json", &fv)
	if fv.Server.Name == "" || fv.Server.Version == "" {
		t.Errorf("federation version %+v", fv)
	}
	var cv clientVersions
	decodeFixture(t, "client-versions.json", &cv)
	if len(cv.Versions) != 2 || cv.Versions[1] != "v1.1" {
		t.Errorf("client versions %+v", cv)
	}
	var room, joined roomAnswer
	decodeFixture(t, "create-room.json", &room)
	decodeFixture(t, "join.json", &joined)
	if room.RoomID != "!sefiuhWgwghwWgh:example.com" || joined.RoomID != "!d41d8cd:matrix.org" {
		t.Errorf("rooms %+v %+v", room, joined)
	}
	var sent sendAnswer
	decodeFixture(t, "send.json", &sent)
	if sent.EventID != "$YUwRidLecu:example.com" {
		t.Errorf("sent %+v", sent)
	}
	var m messages
	decodeFixture(t, "messages.json", &m)
	e, err := m.message("This is an example text message")
	if err != nil || e.Sender != "@example:example.org" || e.Content.Msgtype != "m.text" || e.EventID == "" {
		t.Errorf("message %+v, %v", e, err)
	}
	if _, err := m.message("The room name"); err == nil {
		t.Error("a state event was taken for a message")
	}
	if m.Start == "" || m.End == "" {
		t.Errorf("pagination tokens %q %q", m.Start, m.End)
	}
	var jm joinedMembers
	decodeFixture(t, "joined-members.json", &jm)
	if jm.Joined["@bar:example.com"].DisplayName != "Bar" || len(jm.Joined) != 1 {
		t.Errorf("joined members %+v", jm)
	}
	var me matrixError
	decodeFixture(t, "error-forbidden.json", &me)
	if me.Errcode != "M_FORBIDDEN" || me.Error == "" {
		t.Errorf("error %+v", me)
	}
}
