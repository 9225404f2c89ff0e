package ingress

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// TraefikOptions configures the production ingress, through Traefik.
type TraefikOptions struct {
	// Domain is the app's domain; the proxy serves nothing else.
	Domain string
	// ConnectTo overrides where <Domain>:443 is dialed, like curl's
	// --connect-to ("127.0.0.1:443"); empty resolves Domain by DNS.
	ConnectTo string
	// CAFile is a PEM file of extra CAs to trust, besides the system's
	// (for staging certificates).
	CAFile string
	// Insecure skips certificate verification.
	Insecure bool
	// Log receives debug lines about refused and failed requests.
	Log *slog.Logger
	// App, when set, is the app whose TCP and UDP ways in the ingress
	// serves too (see streamDialer), with EntrypointPorts the ports of
	// Traefik's entrypoints by name.
	App             *recipe.App
	EntrypointPorts map[string]int
	// Also are further domains it tunnels to Traefik (a run's
	// dependencies', which a browser follows a login redirect to), each
	// dialed as Domain is.
	Also []string
}

// traefik reaches the app through Traefik over HTTPS: the proxy tunnels
// CONNECT <domain>:443 to Traefik and TLS stays end to end, so the
// client's own certificate checks apply.
type traefik struct {
	*proxy
	domain   string
	target   string            // host:port the tunnels dial
	also     map[string]string // the dependencies' domains, and what their tunnels dial
	insecure bool
	spki     []string // SPKI fingerprints of the CA file's certificates
	dialer   net.Dialer
	client   *http.Client
	streams  []*Stream // TCP and UDP ways in, see traefikstreams.go
	notes    []string  // the ways in it cannot serve
}

var _ Ingress = (*traefik)(nil)

// NewTraefik starts a traefik-mode proxy. Like NewDirect it returns the
// interface, so a failed call leaves an Ingress variable nil.
func NewTraefik(opts TraefikOptions) (Ingress, error) {
	domain := strings.ToLower(opts.Domain)
	if err := naming.ValidDomain(domain); err != nil {
		return nil, fmt.Errorf("traefik ingress: %w", err)
	}
	target := net.JoinHostPort(domain, "443")
	if opts.ConnectTo != "" {
		if _, _, err := net.SplitHostPort(opts.ConnectTo); err != nil {
			return nil, fmt.Errorf("traefik ingress: connect-to %q: want host:port: %w", opts.ConnectTo, err)
		}
		target = opts.ConnectTo
	}
	tlsCfg, cas, err := clientTLS(opts)
	if err != nil {
		return nil, fmt.Errorf("traefik ingress: %w", err)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &traefik{
		domain:   domain,
		target:   target,
		also:     map[string]string{},
		insecure: opts.Insecure,
		dialer:   net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
	}
	for _, d := range opts.Also {
		d = strings.ToLower(d)
		if err := naming.ValidDomain(d); err != nil {
			return nil, fmt.Errorf("traefik ingress: %w", err)
		}
		t.also[d] = net.JoinHostPort(d, "443")
		if opts.ConnectTo != "" {
			t.also[d] = opts.ConnectTo // Traefik routes by the name the client sends
		}
	}
	for _, c := range cas {
		sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
		t.spki = append(t.spki, base64.StdEncoding.EncodeToString(sum[:]))
	}
	if opts.App != nil {
		t.streams, t.notes, err = newStreams(context.Background(), opts.App, t.streamDialer(opts, tlsCfg), log.With("ingress", "traefik", "domain", domain))
		if err != nil {
			return nil, fmt.Errorf("traefik ingress: %w", err)
		}
	}
	p, err := listenProxy(context.Background(), log.With("ingress", "traefik", "domain", domain))
	if err != nil {
		closeStreams(t.streams)
		return nil, err
	}
	t.proxy = p
	t.client = p.newClient(&http.Transport{TLSClientConfig: tlsCfg})
	p.start(http.HandlerFunc(t.handle))
	return t, nil
}

// clientTLS is the Go client's TLS configuration, and the CA file's
// certificates.
func clientTLS(opts TraefikOptions) (*tls.Config, []*x509.Certificate, error) {
	// Insecure is the operator's explicit choice, for staging certificates.
	cfg := &tls.Config{InsecureSkipVerify: opts.Insecure} //nolint:gosec
	if opts.CAFile == "" {
		return cfg, nil, nil
	}
	data, err := os.ReadFile(opts.CAFile)
	if err != nil {
		return nil, nil, fmt.Errorf("reading CA file: %w", err)
	}
	var certs []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("CA file %s: %w", opts.CAFile, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, nil, fmt.Errorf("CA file %s holds no PEM certificate", opts.CAFile)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	cfg.RootCAs = pool
	return cfg, certs, nil
}

// BaseURL returns https://<domain>.
func (t *traefik) BaseURL() string { return "https://" + t.domain }

// HTTPClient returns a client that goes through the proxy and checks
// Traefik's certificate against the system's CAs and the CA file (or not
// at all when Insecure).
func (t *traefik) HTTPClient() *http.Client { return t.client }

// BrowserFlags sends Chromium through the proxy. With Insecure it ignores
// certificate errors; with a CA file it ignores them for chains that
// present one of the file's certificates (Chromium cannot be given a CA on
// the command line; --ignore-certificate-errors-spki-list is the nearest,
// and it needs --user-data-dir too).
func (t *traefik) BrowserFlags() []string {
	flags := t.browserFlags()
	if t.insecure {
		flags = append(flags, "--ignore-certificate-errors")
	}
	if len(t.spki) > 0 {
		flags = append(flags, "--ignore-certificate-errors-spki-list="+strings.Join(t.spki, ","))
	}
	return flags
}

// Close stops the proxy and drops open tunnels.
func (t *traefik) Close() error {
	err := t.proxy.close()
	closeStreams(t.streams)
	t.client.CloseIdleConnections()
	return err
}

func (t *traefik) handle(w http.ResponseWriter, r *http.Request) {
	host, port := splitHost(r.Host)
	target, ok := t.also[host]
	if host == t.domain {
		target, ok = t.target, true
	}
	switch {
	case !ok:
		fail(w, t.log, http.StatusForbidden, "%s is not this run's domain (%s): refused", r.Host, t.domain)
		return
	case r.Method != http.MethodConnect || port != "443":
		fail(w, t.log, http.StatusForbidden, "%s %s: traefik mode serves https://%s only", r.Method, r.Host, host)
		return
	}
	up, err := t.dialer.DialContext(r.Context(), "tcp", target)
	if err != nil {
		fail(w, t.log, http.StatusBadGateway, "dialing traefik at %s for %s: %v", target, r.Host, err)
		return
	}
	conn, err := acceptConnect(w)
	if err != nil {
		up.Close()
		t.log.Debug("CONNECT failed", "err", err)
		return
	}
	if !t.tunnels.add(conn, up) {
		conn.Close()
		up.Close()
		return
	}
	pipe(conn, up)
	t.tunnels.remove(conn, up)
}
