package ingress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Stream is a way into the app that is not HTTP (a Traefik TCP or UDP
// router, a published port), reached as the ingress reaches HTTP routers:
// the direct ingress at a task of the service it sends to, found by the
// same resolver and held to the same address checks; the traefik ingress
// at Traefik's entrypoint or the published port (streamsTraefik). Each
// stream has a local forwarder on 127.0.0.1 that the recipe's tests dial,
// since they run in another process; readiness dials the far end itself
// (Dial), so that a refused connection is seen as such rather than as a
// local accept.
type Stream struct {
	recipe.StreamRoute
	// Service is the swarm name of the target service.
	Service string
	// Local is the forwarder's address ("127.0.0.1:port", TCP or UDP as
	// the stream's protocol).
	Local string
	// Remote is where the traefik ingress dials it ("host:port"); "" for
	// the direct ingress, which dials a task.
	Remote string

	dial func(ctx context.Context) (net.Conn, error)
	log  *slog.Logger

	mu     sync.Mutex
	closed bool
	ln     net.Listener   // TCP forwarder
	pc     net.PacketConn // UDP forwarder
	conns  map[io.Closer]struct{}
}

// Name says which stream it is: "tcp echo:7000", "tcp echo:7000 at
// example.org:7000" through Traefik.
func (s *Stream) Name() string {
	name := fmt.Sprintf("%s %s:%d", s.Protocol, s.Target, s.Port)
	if s.Remote != "" {
		name += " at " + s.Remote
	}
	return name
}

// Dial connects to the stream's far end: a task of its service (direct),
// or Traefik's entrypoint or the published port (traefik). A UDP
// "connection" is a socket bound to that address; only an answer proves
// anything listens.
func (s *Stream) Dial(ctx context.Context) (net.Conn, error) { return s.dial(ctx) }

// taskDialer dials the stream's service at a task, at its container port.
// A cached address that fails is forgotten and the service resolved once
// more: its task may have been replaced.
func (s *Stream) taskDialer(tasks *taskCache) func(context.Context) (net.Conn, error) {
	dialer := net.Dialer{Timeout: 5 * time.Second}
	port := strconv.Itoa(s.Port)
	return func(ctx context.Context) (net.Conn, error) {
		for {
			ip, cached, err := tasks.lookup(ctx, s.Service)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Name(), err)
			}
			conn, err := dialer.DialContext(ctx, s.Protocol, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return conn, nil
			}
			tasks.forget(s.Service, ip)
			if !cached || ctx.Err() != nil {
				return nil, fmt.Errorf("%s: dialing its task: %w", s.Name(), err)
			}
		}
	}
}

// newStreams makes a stream, with its forwarder, for every TCP or UDP way
// into the app that reaches a known port of one of its services; notes say
// why the others are not served. Two ways to the same port (a router and
// a published port) share one stream. dialer returns how to reach a
// stream, or why it cannot be.
func newStreams(ctx context.Context, app *recipe.App, dialer func(*Stream) (func(context.Context) (net.Conn, error), error), log *slog.Logger) ([]*Stream, []string, error) {
	var out []*Stream
	var notes []string
	seen := map[string]bool{}
	for _, r := range app.Streams() {
		switch {
		case r.Target == "":
			notes = append(notes, fmt.Sprintf("%s is not served: it sends to a service of Traefik itself or of its file provider", r))
			continue
		case r.Port == 0:
			notes = append(notes, fmt.Sprintf("%s is not served: its container port is unknown (set traefik.%s.services.<name>.loadbalancer.server.port)", r, r.Protocol))
			continue
		}
		key := r.Protocol + " " + r.Target + ":" + strconv.Itoa(r.Port)
		if seen[key] {
			continue
		}
		s := &Stream{StreamRoute: r, Service: app.Stack + "_" + r.Target, conns: map[io.Closer]struct{}{}}
		if svc, ok := app.Service(r.Target); ok && svc.FullName != "" {
			s.Service = svc.FullName
		}
		dial, err := dialer(s)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s is not served: %v", r, err))
			continue
		}
		seen[key] = true
		s.dial, s.log = dial, log.With("stream", s.Name())
		if err := s.listen(ctx); err != nil {
			closeStreams(out)
			return nil, nil, err
		}
		out = append(out, s)
	}
	return out, notes, nil
}

func closeStreams(streams []*Stream) {
	for _, s := range streams {
		s.Close()
	}
}

// listen starts the stream's local forwarder.
func (s *Stream) listen(ctx context.Context) error {
	var lc net.ListenConfig
	if s.Protocol == recipe.UDP {
		pc, err := lc.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("%s: forwarder: %w", s.Name(), err)
		}
		s.pc, s.Local = pc, pc.LocalAddr().String()
		go s.serveUDP()
		return nil
	}
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("%s: forwarder: %w", s.Name(), err)
	}
	s.ln, s.Local = ln, ln.Addr().String()
	go s.serveTCP()
	return nil
}

// Close stops the forwarder and drops its connections.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
	}
	if s.pc != nil {
		s.pc.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	return nil
}

// track registers a connection to drop on Close; false when closed.
func (s *Stream) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Stream) untrack(c io.Closer) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// dialTimeout bounds a forwarder's dial of the task.
const dialTimeout = 10 * time.Second

func (s *Stream) serveTCP() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("stream forwarder stopped", "err", err)
			}
			return
		}
		go s.forwardTCP(c)
	}
}

// forwardTCP joins a local connection to a new connection to the task,
// each direction's end passed on as a half close, as Traefik does.
func (s *Stream) forwardTCP(local net.Conn) {
	if !s.track(local) {
		local.Close()
		return
	}
	defer s.untrack(local)
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	up, err := s.Dial(ctx)
	cancel()
	if err != nil {
		s.log.Debug("stream forwarder: dial failed", "err", err)
		return
	}
	if !s.track(up) {
		up.Close()
		return
	}
	defer s.untrack(up)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(up, local)
	go pipe(local, up)
	<-done
	<-done
}

// UDP forwarding keeps one socket to the task per local client, dropped
// after udpIdle without an answer; at most maxUDPClients at once.
const (
	udpIdle       = 2 * time.Minute
	maxUDPClients = 64
	maxDatagram   = 64 << 10
)

func (s *Stream) serveUDP() {
	clients := map[string]net.Conn{}
	var mu sync.Mutex
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := s.pc.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("stream forwarder stopped", "err", err)
			}
			return
		}
		key := from.String()
		mu.Lock()
		up, ok := clients[key]
		if !ok && len(clients) >= maxUDPClients {
			mu.Unlock()
			s.log.Debug("stream forwarder: too many UDP clients, datagram dropped", "from", key)
			continue
		}
		mu.Unlock()
		if !ok {
			ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
			up, err = s.Dial(ctx)
			cancel()
			if err != nil {
				s.log.Debug("stream forwarder: dial failed", "err", err)
				continue
			}
			if !s.track(up) {
				up.Close()
				return
			}
			mu.Lock()
			clients[key] = up
			mu.Unlock()
			go func() {
				s.answerUDP(up, from)
				mu.Lock()
				delete(clients, key)
				mu.Unlock()
				s.untrack(up)
			}()
		}
		if _, err := up.Write(buf[:n]); err != nil {
			s.log.Debug("stream forwarder: sending to the task failed", "err", err)
		}
	}
}

// answerUDP relays the task's datagrams back to the local client until
// the socket idles out or fails.
func (s *Stream) answerUDP(up net.Conn, to net.Addr) {
	buf := make([]byte, maxDatagram)
	for {
		_ = up.SetReadDeadline(time.Now().Add(udpIdle))
		n, err := up.Read(buf)
		if err != nil {
			return
		}
		if _, err := s.pc.WriteTo(buf[:n], to); err != nil {
			return
		}
	}
}
