// Package mumble holds the recipe tests of Co-op Cloud's mumble recipe (a
// Mumble voice server): what recipe-test's custom stage runs against the
// deployed app, over the app's TCP and UDP ways in. With plain `go test`
// they skip, since no app is deployed.
package mumble

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// superUser is the server's built-in administrator, whose password the
// recipe sets from its admin_password secret.
const superUser = "SuperUser"

// userName is a run-scoped name for an anonymous client.
func userName(t *testing.T, env *harness.Env, name string) string {
	return "rt-" + strings.ToLower(env.Credential(t, name)[:8])
}

// Port of the predecessor's UDP readiness check, beyond an answer: the
// documented ping (a 4-byte zero and an 8-byte ident) gets the 24-byte
// answer echoing the ident, with the server's version and its user limit,
// which is the recipe's MAX_USERS. Pings are sent again every half second
// until one is answered, as Mumble clients do: UDP may drop any datagram,
// and the server reads its UDP socket from a thread it stops and restarts
// as clients come and go (a datagram arriving meanwhile may wait unread).
func TestUDPPing(t *testing.T) {
	env := harness.Load(t)
	u := env.DialUDP(t, "app", 64738)
	ping := make([]byte, 12)
	if _, err := rand.Read(ping[4:]); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	var n, sent int
	harness.WaitUntil(t, 30*time.Second, time.Millisecond, func() error {
		if _, err := u.Write(ping); err != nil {
			return fmt.Errorf("sending the ping: %w", err)
		}
		sent++
		_ = u.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		var err error
		if n, err = u.Read(buf); err != nil {
			return fmt.Errorf("no answer to %d pings: %w", sent, err)
		}
		return nil
	})
	t.Logf("answered after %d ping(s)", sent)
	if n != 24 || !bytes.Equal(buf[4:12], ping[4:]) {
		t.Fatalf("answer %x (%d bytes), want 24 bytes echoing %x", buf[:n], n, ping[4:])
	}
	version := binary.BigEndian.Uint32(buf[0:4])
	users, maxUsers := binary.BigEndian.Uint32(buf[12:16]), binary.BigEndian.Uint32(buf[16:20])
	if version>>16 != 1 {
		t.Errorf("server version %#x: not a 1.x server", version)
	}
	if want, _ := strconv.Atoi(env.Env["MAX_USERS"]); int(maxUsers) != want || users > maxUsers {
		t.Errorf("users %d of %d, want a limit of MAX_USERS=%q", users, maxUsers, env.Env["MAX_USERS"])
	}
}

// Port of the predecessor's client check (beyond TCP health): a client
// connects over TLS, logs in anonymously, and sees the channel tree: the
// root channel, named after the recipe's SERVER_NAME, with itself in it;
// the server greets with the recipe's WELCOME_TEXT.
func TestClientSeesRootChannel(t *testing.T) {
	env := harness.Load(t)
	c, err := connect(t, env, userName(t, env, "visitor"), "")
	if err != nil {
		t.Fatalf("connecting as an anonymous user: %v", err)
	}
	if c.session == 0 || c.version>>16 != 1 {
		t.Errorf("session %d, server version %#x", c.session, c.version)
	}
	root, ok := c.channels[0]
	if !ok {
		t.Fatalf("no root channel among %v", c.channels)
	}
	if root.Name != env.Env["SERVER_NAME"] {
		t.Errorf("root channel %q, want SERVER_NAME %q", root.Name, env.Env["SERVER_NAME"])
	}
	if ch, ok := c.users[c.session]; !ok || ch != 0 {
		t.Errorf("this client (session %d) is in channel %d (known %v), want the root", c.session, ch, ok)
	}
	if c.welcome != env.Env["WELCOME_TEXT"] {
		t.Errorf("welcome text %q, want WELCOME_TEXT %q", c.welcome, env.Env["WELCOME_TEXT"])
	}
}

// Create and read back: the SuperUser (the recipe's admin_password)
// creates a permanent channel under the root; another client, connecting
// afresh, finds it in the tree the server sends; once the SuperUser removes
// it, a new client no longer does.
func TestChannelRoundTrip(t *testing.T) {
	env := harness.Load(t)
	admin, err := connect(t, env, superUser, env.Secret(t, "admin_password"))
	if err != nil {
		t.Fatalf("logging in as %s with the recipe's admin_password: %v", superUser, err)
	}
	name := userName(t, env, "channel")
	var cs []byte
	cs = appendUint(cs, 2, 0) // parent: the root
	cs = appendString(cs, 3, name)
	cs = appendUint(cs, 8, 0) // permanent, kept in the server's database
	if err := admin.send(msgChannelState, cs); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.await("the new channel", func(typ uint16, m message) bool {
		return typ == msgChannelState && m.str(3) == name
	}); err != nil {
		t.Fatal(err)
	}
	created, _ := admin.channelNamed(name)

	visitor, err := connect(t, env, userName(t, env, "reader"), "")
	if err != nil {
		t.Fatalf("connecting a second client: %v", err)
	}
	got, ok := visitor.channelNamed(name)
	if !ok || got.ID != created.ID || got.Parent != 0 {
		t.Fatalf("a new client sees %+v (found %v), want %+v under the root; channels %v", got, ok, created, visitor.channels)
	}

	var rm []byte
	rm = appendUint(rm, 1, uint64(created.ID))
	if err := admin.send(msgChannelRemove, rm); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.await("the channel's removal", func(typ uint16, m message) bool {
		id, _ := m.uint(1)
		return typ == msgChannelRemove && uint32(id) == created.ID
	}); err != nil {
		t.Fatal(err)
	}
	after, err := connect(t, env, userName(t, env, "after"), "")
	if err != nil {
		t.Fatalf("connecting a third client: %v", err)
	}
	if ch, ok := after.channelNamed(name); ok {
		t.Errorf("after removal a new client still sees %+v", ch)
	}
}

// The SuperUser's password is the recipe's secret and nothing else: a
// wrong one is refused with the protocol's WrongUserPW.
func TestSuperUserWrongPasswordRejected(t *testing.T) {
	env := harness.Load(t)
	_, err := connect(t, env, superUser, "not-"+env.Credential(t, "wrong-password"))
	var r *rejected
	if !errors.As(err, &r) || r.Type != rejectWrongUserPW {
		t.Fatalf("logging in as %s with a wrong password: %v, want a WrongUserPW reject", superUser, err)
	}
}

// The server keeps its state where the recipe's volume (and its backupbot
// label) expect it: the SQLite database and the configuration written from
// the recipe's MUMBLE_CONFIG_* settings, in /data.
func TestStateOnDataVolume(t *testing.T) {
	env := harness.Load(t)
	db := env.ReadFile(t, "app", "/data/murmur.sqlite")
	if !bytes.HasPrefix(db, []byte("SQLite format 3\x00")) {
		t.Errorf("/data/murmur.sqlite is not an SQLite database (%d bytes)", len(db))
	}
	ini := string(env.ReadFile(t, "app", "/data/mumble_server_config.ini"))
	for _, want := range []string{"database=/data/murmur.sqlite", "users=" + env.Env["MAX_USERS"], "registerName=" + env.Env["SERVER_NAME"]} {
		if !strings.Contains(ini, want+"\n") {
			t.Errorf("/data/mumble_server_config.ini lacks %q:\n%s", want, ini)
		}
	}
}
