package mumble

import (
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// A minimal Mumble client: the control channel is TLS on TCP, carrying
// messages framed as a 2-byte type, a 4-byte length and a protobuf body
// (Mumble.proto). Only the messages the tests need are encoded or read,
// by their field numbers, with protobuf's wire format.
const (
	msgVersion          = 0
	msgAuthenticate     = 2
	msgPing             = 3
	msgReject           = 4
	msgServerSync       = 5
	msgChannelRemove    = 6
	msgChannelState     = 7
	msgUserState        = 9
	msgPermissionDenied = 12
)

// clientVersion is 1.3.0, as Mumble packs it: major<<16 | minor<<8 | patch.
const clientVersion = 1<<16 | 3<<8

// message is a decoded protobuf message: each field number's values, as
// varints or as bytes.
type message struct {
	varints map[protowire.Number][]uint64
	bytes   map[protowire.Number][][]byte
}

func decode(b []byte) (message, error) {
	m := message{varints: map[protowire.Number][]uint64{}, bytes: map[protowire.Number][][]byte{}}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return m, protowire.ParseError(n)
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.varints[num] = append(m.varints[num], v)
			b = b[n:]
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.bytes[num] = append(m.bytes[num], v)
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return m, nil
}

func (m message) uint(num protowire.Number) (uint64, bool) {
	v := m.varints[num]
	if len(v) == 0 {
		return 0, false
	}
	return v[len(v)-1], true
}

func (m message) str(num protowire.Number) string {
	v := m.bytes[num]
	if len(v) == 0 {
		return ""
	}
	return string(v[len(v)-1])
}

func appendUint(b []byte, num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
}

// channel is what a ChannelState told of a channel.
type channel struct {
	ID, Parent uint32
	Name       string
}

// client is one connection to the server, logged in.
type client struct {
	conn     net.Conn
	session  uint32
	welcome  string
	version  uint32 // the server's, from its Version message
	root     channel
	channels map[uint32]channel
	users    map[uint32]uint32 // session -> channel
}

// rejected is a login the server refused (Mumble.proto's Reject).
type rejected struct {
	Type   uint64
	Reason string
}

func (r *rejected) Error() string { return fmt.Sprintf("rejected (type %d): %s", r.Type, r.Reason) }

// Reject types (Mumble.proto's Reject.RejectType).
const rejectWrongUserPW = 3

// connect opens the app's TCP way in through the run's ingress, speaks TLS
// (the server's certificate is the self-signed one it made on its first
// start, as every Mumble client meets it: nothing to verify it against),
// sends Version and Authenticate, and reads until ServerSync: the channel
// tree and the users the server sends before it. A Reject is returned as
// a *rejected error.
func connect(t *testing.T, env *harness.Env, user, password string) (*client, error) {
	t.Helper()
	raw := env.DialTCP(t, "app", 64738)
	conn := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // self-signed server certificate, see above
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := conn.Handshake(); err != nil {
		return nil, fmt.Errorf("TLS handshake with the server: %w", err)
	}
	c := &client{conn: conn, channels: map[uint32]channel{}, users: map[uint32]uint32{}}
	var v []byte
	v = appendUint(v, 1, clientVersion)
	v = appendString(v, 2, "recipe-test")
	v = appendString(v, 3, "Linux")
	if err := c.send(msgVersion, v); err != nil {
		return nil, err
	}
	var a []byte
	a = appendString(a, 1, user)
	if password != "" {
		a = appendString(a, 2, password)
	}
	a = appendUint(a, 5, 1) // opus
	if err := c.send(msgAuthenticate, a); err != nil {
		return nil, err
	}
	for {
		typ, m, err := c.read()
		if err != nil {
			return nil, fmt.Errorf("before ServerSync: %w", err)
		}
		switch typ {
		case msgReject:
			kind, _ := m.uint(1)
			return nil, &rejected{Type: kind, Reason: m.str(2)}
		case msgServerSync:
			s, _ := m.uint(1)
			c.session, c.welcome = uint32(s), m.str(3)
			c.root = c.channels[0]
			return c, nil
		}
	}
}

// send writes one framed message.
func (c *client) send(typ uint16, body []byte) error {
	head := make([]byte, 6, 6+len(body))
	binary.BigEndian.PutUint16(head, typ)
	binary.BigEndian.PutUint32(head[2:], uint32(len(body)))
	if _, err := c.conn.Write(append(head, body...)); err != nil {
		return fmt.Errorf("sending message type %d: %w", typ, err)
	}
	return nil
}

// read reads one framed message and keeps what it says of the channel tree,
// the users and the server's version.
func (c *client) read() (uint16, message, error) {
	var head [6]byte
	if _, err := io.ReadFull(c.conn, head[:]); err != nil {
		return 0, message{}, fmt.Errorf("reading a message: %w", err)
	}
	typ, n := binary.BigEndian.Uint16(head[:]), binary.BigEndian.Uint32(head[2:])
	if n > 8<<20 {
		return 0, message{}, fmt.Errorf("message type %d of %d bytes: too large", typ, n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.conn, body); err != nil {
		return 0, message{}, fmt.Errorf("reading message type %d: %w", typ, err)
	}
	m, err := decode(body)
	if err != nil {
		return 0, message{}, fmt.Errorf("decoding message type %d: %w", typ, err)
	}
	switch typ {
	case msgVersion:
		v, _ := m.uint(1)
		c.version = uint32(v)
	case msgChannelState:
		id, _ := m.uint(1)
		ch := c.channels[uint32(id)]
		ch.ID = uint32(id)
		if p, ok := m.uint(2); ok {
			ch.Parent = uint32(p)
		}
		if name := m.str(3); name != "" {
			ch.Name = name
		}
		c.channels[ch.ID] = ch
	case msgChannelRemove:
		id, _ := m.uint(1)
		delete(c.channels, uint32(id))
	case msgUserState:
		s, _ := m.uint(1)
		if ch, ok := m.uint(5); ok {
			c.users[uint32(s)] = uint32(ch)
		} else if _, known := c.users[uint32(s)]; !known {
			c.users[uint32(s)] = 0 // a user's channel is root unless said
		}
	}
	return typ, m, nil
}

// await reads messages until match accepts one, failing on a
// PermissionDenied or when the server says nothing more.
func (c *client) await(what string, match func(typ uint16, m message) bool) (message, error) {
	_ = c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	for {
		typ, m, err := c.read()
		if err != nil {
			return m, fmt.Errorf("waiting for %s: %w", what, err)
		}
		if typ == msgPermissionDenied {
			return m, fmt.Errorf("waiting for %s: permission denied: %s", what, m.str(4))
		}
		if match(typ, m) {
			return m, nil
		}
	}
}

// channelNamed returns the channel of that name the client knows.
func (c *client) channelNamed(name string) (channel, bool) {
	for _, ch := range c.channels {
		if ch.Name == name {
			return ch, true
		}
	}
	return channel{}, false
}
