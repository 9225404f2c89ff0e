package uptimekuma

import (
	"embed"
	"encoding/json"
	"strings"
	"testing"
)

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.txt
var fixtures embed.FS

// readFixture returns a file of testdata/.
func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Engine.IO v4's documented handshake decodes; a packet that is not an
// open packet, or lacks the session's timings, is refused.
func TestDecodeOpen(t *testing.T) {
	o, err := decodeOpen(readFixture(t, "eio-open.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if o.SID != "lv_VI97HAXpY6yYWAAAC" || o.PingInterval != 25000 || o.PingTimeout != 20000 ||
		o.MaxPayload != 1000000 || strings.Join(o.Upgrades, ",") != "websocket" {
		t.Errorf("open packet %+v", o)
	}
	for _, bad := range []string{"", "4hello", `0{"sid":""}`, `0{"sid":"x","pingInterval":25000}`, "0{not json"} {
		if _, err := decodeOpen(bad); err == nil {
			t.Errorf("decodeOpen(%q) accepted", bad)
		}
	}
}

// A polling payload splits at the record separator.
func TestSplitPayload(t *testing.T) {
	got := splitPayload(readFixture(t, "eio-payload.txt"))
	if strings.Join(got, "|") != "4hello|2|4world" {
		t.Errorf("packets %q", got)
	}
	if splitPayload("") != nil {
		t.Error("an empty payload has packets")
	}
}

// The documented Socket.IO packets decode to their type, ack id and data.
func TestDecodeSIO(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(readFixture(t, "sio-packets.txt")), "\n")
	want := []struct {
		typ  byte
		id   int
		data string
	}{
		{sioConnect, -1, `{"sid":"oSO0OpakMV_3jnilAAAA"}`},
		{sioConnectError, -1, `{"message":"Not authorized"}`},
		{sioEvent, -1, `["foo"]`},
		{sioEvent, -1, `["bar",1,"2",{"3":[4]}]`},
		{sioEvent, 12, `["foo"]`},
		{sioAck, 12, `["bar"]`},
		{sioDisconnect, -1, ``},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d fixture packets, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		p, err := decodeSIO(l)
		if err != nil {
			t.Errorf("%q: %v", l, err)
			continue
		}
		if p.Type != want[i].typ || p.ID != want[i].id || string(p.Data) != want[i].data {
			t.Errorf("%q: type %c id %d data %s", l, p.Type, p.ID, p.Data)
		}
	}
	e, err := decodeEvent(json.RawMessage(`["bar",1,"2",{"3":[4]}]`))
	if err != nil || e.Name != "bar" || len(e.Args) != 3 || string(e.Args[2]) != `{"3":[4]}` {
		t.Errorf("event %+v %v", e, err)
	}
	// What this client does not speak is an error, not a silent skip.
	for _, bad := range []string{"", `0/admin,{"sid":"x"}`, `51-["baz",{"_placeholder":true,"num":0}]`, `2["foo"`, "9"} {
		if _, err := decodeSIO(bad); err == nil {
			t.Errorf("decodeSIO(%q) accepted", bad)
		}
	}
	for _, bad := range []string{`{}`, `[]`, `[1,2]`} {
		if _, err := decodeEvent(json.RawMessage(bad)); err == nil {
			t.Errorf("decodeEvent(%s) accepted", bad)
		}
	}
}

// An event with an ack id encodes as the protocol's example does, inside
// an Engine.IO message.
func TestEncodeEvent(t *testing.T) {
	got, err := encodeEvent(12, "hello", "foo", map[string]int{"n": 1})
	if err != nil || got != `4212["hello","foo",{"n":1}]` {
		t.Errorf("encodeEvent = %q, %v", got, err)
	}
	got, err = encodeEvent(-1, "ping")
	if err != nil || got != `42["ping"]` {
		t.Errorf("encodeEvent without ack = %q, %v", got, err)
	}
	if _, err := encodeEvent(1, "bad", func() {}); err == nil {
		t.Error("an argument JSON cannot encode was accepted")
	}
}
