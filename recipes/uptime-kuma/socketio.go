// Package uptimekuma holds the recipe tests of Co-op Cloud's uptime-kuma
// recipe (Uptime Kuma, a self-hosted monitoring tool): what recipe-test's
// custom stage runs against the deployed app. With plain `go test` only the
// protocol's unit tests run; the others skip, since no app is deployed.
//
// Uptime Kuma's own API (the one its web UI uses: login, adding a monitor,
// the monitor list, heartbeats) is Socket.IO, not REST. This file is a
// minimal Socket.IO client (protocol 5, the one Socket.IO v4 servers speak)
// over Engine.IO v4's HTTP long-polling transport, which needs nothing but
// plain HTTP requests: GETs that wait for the server's packets and POSTs
// that carry the client's (https://socket.io/docs/v4/engine-io-protocol/,
// https://socket.io/docs/v4/socket-io-protocol/). Text packets only, the
// default namespace only: what Uptime Kuma's events need.
package uptimekuma

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// recordSeparator separates the packets of one polling payload (Engine.IO
// v4; v3 used length prefixes instead).
const recordSeparator = "\x1e"

// Engine.IO packet types (the first character of a packet).
const (
	eioOpen    = '0'
	eioClose   = '1'
	eioPing    = '2'
	eioPong    = '3'
	eioMessage = '4'
	eioNoop    = '6'
)

// Socket.IO packet types (the first character of an Engine.IO message).
const (
	sioConnect      = '0'
	sioDisconnect   = '1'
	sioEvent        = '2'
	sioAck          = '3'
	sioConnectError = '4'
)

// openPacket is the handshake data of Engine.IO's open packet.
type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"` // milliseconds
	PingTimeout  int      `json:"pingTimeout"`  // milliseconds
	MaxPayload   int      `json:"maxPayload"`
}

// splitPayload splits a polling payload into its packets.
func splitPayload(body string) []string {
	if body == "" {
		return nil
	}
	return strings.Split(body, recordSeparator)
}

// decodeOpen reads the handshake from the first packet of a session.
func decodeOpen(packet string) (openPacket, error) {
	var o openPacket
	if packet == "" || packet[0] != eioOpen {
		return o, fmt.Errorf("engine.io handshake: want an open packet (0{...}), got %q", excerpt(packet))
	}
	if err := json.Unmarshal([]byte(packet[1:]), &o); err != nil {
		return o, fmt.Errorf("engine.io handshake %q: %w", excerpt(packet), err)
	}
	if o.SID == "" || o.PingInterval <= 0 || o.PingTimeout <= 0 {
		return o, fmt.Errorf("engine.io handshake %q: no sid, pingInterval or pingTimeout", excerpt(packet))
	}
	return o, nil
}

// sioPacket is a decoded Socket.IO packet of the default namespace.
type sioPacket struct {
	Type byte
	// ID is the acknowledgement id; -1 when the packet has none.
	ID int
	// Data is the packet's JSON data: an array for EVENT and ACK (an
	// event's name first), an object for CONNECT and CONNECT_ERROR.
	Data json.RawMessage
}

// decodeSIO decodes a Socket.IO packet carried by an Engine.IO message
// (the message's text without its leading '4'). Packets of another
// namespace and binary packets are errors: this client never asks for them.
func decodeSIO(s string) (sioPacket, error) {
	p := sioPacket{ID: -1}
	if s == "" {
		return p, errors.New("socket.io: empty packet")
	}
	p.Type, s = s[0], s[1:]
	switch p.Type {
	case sioConnect, sioDisconnect, sioEvent, sioAck, sioConnectError:
	default:
		return p, fmt.Errorf("socket.io: packet type %q not supported (binary or unknown)", p.Type)
	}
	if strings.HasPrefix(s, "/") {
		nsp, _, _ := strings.Cut(s, ",")
		return p, fmt.Errorf("socket.io: packet of namespace %q: only the default namespace is used", nsp)
	}
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n > 0 {
		id, err := strconv.Atoi(s[:n])
		if err != nil {
			return p, fmt.Errorf("socket.io: ack id %q: %w", s[:n], err)
		}
		p.ID, s = id, s[n:]
	}
	if s != "" {
		if !json.Valid([]byte(s)) {
			return p, fmt.Errorf("socket.io: packet data is not JSON: %q", excerpt(s))
		}
		p.Data = json.RawMessage(s)
	}
	return p, nil
}

// encodeEvent is the Engine.IO message of a Socket.IO EVENT with an ack id
// (-1: none): 42<id>["name",args...].
func encodeEvent(id int, name string, args ...any) (string, error) {
	data, err := json.Marshal(append([]any{name}, args...))
	if err != nil {
		return "", fmt.Errorf("socket.io: encoding event %s: %w", name, err)
	}
	var b strings.Builder
	b.WriteByte(eioMessage)
	b.WriteByte(sioEvent)
	if id >= 0 {
		b.WriteString(strconv.Itoa(id))
	}
	b.Write(data)
	return b.String(), nil
}

// Event is an event the server emitted: its name and arguments.
type Event struct {
	Name string
	Args []json.RawMessage
}

// decodeEvent splits an EVENT packet's data into its name and arguments.
func decodeEvent(data json.RawMessage) (Event, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || len(raw) == 0 {
		return Event{}, fmt.Errorf("socket.io: event data %q is not a non-empty array", excerpt(string(data)))
	}
	var e Event
	if err := json.Unmarshal(raw[0], &e.Name); err != nil {
		return Event{}, fmt.Errorf("socket.io: event name %q is not a string", excerpt(string(raw[0])))
	}
	e.Args = raw[1:]
	return e, nil
}

// Socket is a connected Socket.IO client of the default namespace.
type Socket struct {
	hc       *http.Client
	endpoint string // .../socket.io/?EIO=4&transport=polling&sid=...
	open     openPacket

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the reader ends

	postMu sync.Mutex // one POST at a time, as the protocol asks

	mu      sync.Mutex
	events  []Event
	acks    map[int]chan []json.RawMessage
	nextID  int
	err     error         // why the reader stopped
	changed chan struct{} // closed (and replaced) when events or err change
	sioSID  string        // set once the namespace is connected
}

// Dial opens an Engine.IO session at baseURL's /socket.io/ over HTTP
// long-polling through hc and connects the default namespace. The session
// lives until Close or ctx ends.
func Dial(ctx context.Context, hc *http.Client, baseURL string) (*Socket, error) {
	q := url.Values{"EIO": {"4"}, "transport": {"polling"}}
	endpoint := strings.TrimRight(baseURL, "/") + "/socket.io/?" + q.Encode()
	body, err := pollRequest(ctx, hc, http.MethodGet, endpoint, "")
	if err != nil {
		return nil, fmt.Errorf("engine.io handshake: %w", err)
	}
	packets := splitPayload(body)
	if len(packets) == 0 {
		return nil, errors.New("engine.io handshake: empty answer")
	}
	open, err := decodeOpen(packets[0])
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &Socket{hc: hc, endpoint: endpoint + "&sid=" + url.QueryEscape(open.SID), open: open,
		ctx: sctx, cancel: cancel, done: make(chan struct{}),
		acks: map[int]chan []json.RawMessage{}, changed: make(chan struct{})}
	if err := s.post(ctx, string(eioMessage)+string(sioConnect)); err != nil {
		cancel()
		return nil, fmt.Errorf("socket.io connect: %w", err)
	}
	go s.read(packets[1:])
	if err := s.waitConnected(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// pollRequest sends one polling request and returns the answer's body; a
// status other than 200 is an error.
func pollRequest(ctx context.Context, hc *http.Client, method, endpoint, body string) (string, error) {
	var rd io.Reader
	if method == http.MethodPost {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
	if err != nil {
		return "", err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return "", fmt.Errorf("%s %s: reading the answer: %w", method, endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %s: %s: %s", method, endpoint, resp.Status, excerpt(string(bytes.TrimSpace(b))))
	}
	return string(b), nil
}

// post sends packets to the server.
func (s *Socket) post(ctx context.Context, packets ...string) error {
	s.postMu.Lock()
	defer s.postMu.Unlock()
	_, err := pollRequest(ctx, s.hc, http.MethodPost, s.endpoint, strings.Join(packets, recordSeparator))
	return err
}

// read polls the server until the session ends, answering pings and
// recording events and acknowledgements. first are packets that came with
// the handshake.
func (s *Socket) read(first []string) {
	defer close(s.done)
	packets := first
	// A poll waits up to pingInterval for packets; the server gives up on
	// the session after pingInterval+pingTimeout without a poll or pong.
	pollTimeout := time.Duration(s.open.PingInterval+s.open.PingTimeout) * time.Millisecond
	for {
		for _, p := range packets {
			if err := s.handle(p); err != nil {
				s.stop(err)
				return
			}
		}
		ctx, cancel := context.WithTimeout(s.ctx, pollTimeout)
		body, err := pollRequest(ctx, s.hc, http.MethodGet, s.endpoint, "")
		cancel()
		if err != nil {
			if s.ctx.Err() != nil {
				err = errors.New("socket closed")
			}
			s.stop(fmt.Errorf("engine.io poll: %w", err))
			return
		}
		packets = splitPayload(body)
	}
}

// handle acts on one Engine.IO packet from the server.
func (s *Socket) handle(p string) error {
	if p == "" {
		return errors.New("engine.io: empty packet")
	}
	switch p[0] {
	case eioPing:
		// Answer at once, off the read loop: the POST must not wait for
		// the next poll.
		go func() { _ = s.post(s.ctx, string(eioPong)) }()
		return nil
	case eioNoop:
		return nil
	case eioClose:
		return errors.New("engine.io: the server closed the session")
	case eioMessage:
	default:
		return fmt.Errorf("engine.io: unexpected packet %q", excerpt(p))
	}
	pkt, err := decodeSIO(p[1:])
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch pkt.Type {
	case sioConnect:
		var c struct {
			SID string `json:"sid"`
		}
		if err := json.Unmarshal(pkt.Data, &c); err != nil || c.SID == "" {
			return fmt.Errorf("socket.io: CONNECT without a sid: %q", excerpt(string(pkt.Data)))
		}
		s.sioSID = c.SID
	case sioConnectError:
		var c struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(pkt.Data, &c)
		return fmt.Errorf("socket.io: the server refused the connection: %q", c.Message)
	case sioDisconnect:
		return errors.New("socket.io: the server disconnected the socket")
	case sioEvent:
		e, err := decodeEvent(pkt.Data)
		if err != nil {
			return err
		}
		s.events = append(s.events, e)
	case sioAck:
		var args []json.RawMessage
		if err := json.Unmarshal(pkt.Data, &args); err != nil {
			return fmt.Errorf("socket.io: ack %d data %q is not an array", pkt.ID, excerpt(string(pkt.Data)))
		}
		if ch, ok := s.acks[pkt.ID]; ok {
			delete(s.acks, pkt.ID)
			ch <- args
		}
	}
	s.notify()
	return nil
}

// notify wakes whoever waits for a change; s.mu is held.
func (s *Socket) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// stop records why the reader ended.
func (s *Socket) stop(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
	s.notify()
}

// waitConnected waits for the namespace's CONNECT.
func (s *Socket) waitConnected(ctx context.Context) error {
	for {
		s.mu.Lock()
		sid, err, changed := s.sioSID, s.err, s.changed
		s.mu.Unlock()
		if sid != "" {
			return nil
		}
		if err != nil {
			return fmt.Errorf("socket.io connect: %w", err)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("socket.io connect: %w", ctx.Err())
		}
	}
}

// Call emits an event with an acknowledgement and returns the arguments
// the server's callback was called with.
func (s *Socket) Call(ctx context.Context, name string, args ...any) ([]json.RawMessage, error) {
	ch := make(chan []json.RawMessage, 1)
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	id := s.nextID
	s.nextID++
	s.acks[id] = ch
	s.mu.Unlock()
	msg, err := encodeEvent(id, name, args...)
	if err != nil {
		return nil, err
	}
	if err := s.post(ctx, msg); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for {
		s.mu.Lock()
		changed, rerr := s.changed, s.err
		s.mu.Unlock()
		select {
		case got := <-ch:
			return got, nil
		default:
		}
		if rerr != nil {
			return nil, fmt.Errorf("%s: no answer: %w", name, rerr)
		}
		select {
		case got := <-ch:
			return got, nil
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: no answer: %w", name, ctx.Err())
		}
	}
}

// WaitEvent returns the first event named name, received since the socket
// connected, for which match (nil: any) is true, waiting for it if needed.
func (s *Socket) WaitEvent(ctx context.Context, name string, match func(Event) bool) (Event, error) {
	seen := 0
	for {
		s.mu.Lock()
		events, rerr, changed := s.events[seen:], s.err, s.changed
		seen = len(s.events)
		s.mu.Unlock()
		for _, e := range events {
			if e.Name == name && (match == nil || match(e)) {
				return e, nil
			}
		}
		if rerr != nil {
			return Event{}, fmt.Errorf("waiting for event %s: %w", name, rerr)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("waiting for event %s: %w", name, ctx.Err())
		}
	}
}

// Close disconnects the namespace, closes the session and waits until the
// reader stopped.
func (s *Socket) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.post(ctx, string(eioMessage)+string(sioDisconnect), string(eioClose))
	s.cancel()
	<-s.done
}

// excerpt shortens s for an error message.
func excerpt(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
