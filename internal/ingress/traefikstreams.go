package ingress

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// streamDialer reaches a stream through Traefik, on the host its HTTPS is
// reached at (ConnectTo's, else the domain): a TCP or UDP router at the
// port of one of its entrypoints (the operator's EntrypointPorts: the
// ports are Traefik's static configuration, which no recipe shows), a
// published port at the host port it publishes.
func (t *traefik) streamDialer(opts TraefikOptions, tlsCfg *tls.Config) func(*Stream) (func(context.Context) (net.Conn, error), error) {
	host := t.domain
	if opts.ConnectTo != "" {
		host, _, _ = net.SplitHostPort(opts.ConnectTo) // checked by NewTraefik
	}
	return func(s *Stream) (func(context.Context) (net.Conn, error), error) {
		port := 0
		switch {
		case s.Router != "":
			for _, e := range s.Entrypoints {
				if p, ok := opts.EntrypointPorts[e]; ok {
					port = p
					break
				}
			}
			if port == 0 && len(s.Entrypoints) == 0 {
				return nil, fmt.Errorf("it names no entrypoint (Traefik then listens for it on every %s entrypoint): give the port of one as --entrypoint-port NAME=PORT", strings.ToUpper(s.Protocol))
			}
			if port == 0 {
				return nil, fmt.Errorf("the port of entrypoint %s is in Traefik's static configuration: give it as --entrypoint-port %s=PORT", strings.Join(s.Entrypoints, " or "), s.Entrypoints[0])
			}
		case s.Published > 0:
			port = s.Published
		default:
			return nil, fmt.Errorf("swarm picks its host port, which the traefik ingress does not look up")
		}
		s.Remote = net.JoinHostPort(host, strconv.Itoa(port))
		d := net.Dialer{Timeout: 10 * time.Second}
		if s.Protocol != recipe.TCP || !s.TLS || s.Passthrough {
			return func(ctx context.Context) (net.Conn, error) {
				c, err := d.DialContext(ctx, s.Protocol, s.Remote)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", s.Name(), err)
				}
				return c, nil
			}, nil
		}
		// Traefik terminates TLS for this router: the ingress speaks it,
		// so that the tests get the app's own stream, as in direct mode.
		cfg := tlsCfg.Clone()
		cfg.ServerName = sniHost(s.Rule, t.domain)
		return func(ctx context.Context) (net.Conn, error) {
			c, err := d.DialContext(ctx, "tcp", s.Remote)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Name(), err)
			}
			tc := tls.Client(c, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, fmt.Errorf("%s: TLS with Traefik as %s: %w", s.Name(), cfg.ServerName, err)
			}
			return tc, nil
		}, nil
	}
}

var hostSNIRe = regexp.MustCompile("HostSNI\\(\\s*`([^`]+)`")

// sniHost is the first host a TCP rule's HostSNI names, else domain (for
// HostSNI(`*`), which takes any).
func sniHost(rule, domain string) string {
	if m := hostSNIRe.FindStringSubmatch(rule); m != nil && m[1] != "*" {
		return m[1]
	}
	return domain
}

// Streams are the app's TCP and UDP ways in that the ingress serves.
func (t *traefik) Streams() []*Stream { return append([]*Stream(nil), t.streams...) }

// Notes says which of the app's TCP and UDP ways in it cannot serve.
func (t *traefik) Notes() []string { return append([]string(nil), t.notes...) }
