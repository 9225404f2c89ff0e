package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
	"github.com/cc-ci/recipe-test/v2/internal/facts"
)

// Env is the run's facts, typed, with the helpers that act on the deployed
// app. Load makes one per test; it is safe for concurrent use.
type Env struct {
	Facts

	proxy *url.URL

	mu        sync.Mutex
	creds     map[string]string
	transport *http.Transport
	docker    *containers.Client
}

// skipMessage is why a test that asks for its Env skips outside a run.
const skipMessage = "not run by recipe-test: " + FactsEnv + " is unset; " +
	"run the recipe's tests with `recipe-test run --stages custom --recipe NAME`"

// Load returns the facts of the recipe-test run executing the test. Run
// outside one ($RECIPE_TEST_FACTS unset) the test is skipped, saying so; a
// facts file that cannot be read fails it. What the Env opens (connections
// to the app and to the Docker engine) is closed when the test ends.
func Load(t testing.TB) *Env {
	t.Helper()
	path := os.Getenv(FactsEnv)
	if path == "" {
		t.Skip(skipMessage)
	}
	f, err := facts.Read(path)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	proxy, err := url.Parse(f.ProxyURL)
	if err != nil || proxy.Scheme == "" || proxy.Host == "" {
		t.Fatalf("harness: recipe-test facts %s: proxy_url %q is not an absolute URL", path, f.ProxyURL)
	}
	e := &Env{Facts: *f, proxy: proxy, creds: map[string]string{}}
	t.Cleanup(e.close)
	return e
}

// close drops idle connections to the app and the Docker connection.
func (e *Env) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.transport != nil {
		e.transport.CloseIdleConnections()
	}
	if e.docker != nil {
		e.docker.Close()
		e.docker = nil
	}
}

// Service returns the swarm name of a compose service ("app" ->
// "<stack>_app"), failing the test for a service the recipe does not have.
func (e *Env) Service(t testing.TB, name string) string {
	t.Helper()
	full, ok := e.Services[name]
	if !ok {
		names := make([]string, 0, len(e.Services))
		for n := range e.Services {
			names = append(names, n)
		}
		slices.Sort(names)
		t.Fatalf("harness: recipe %s has no service %q (services: %s)", e.Recipe, name, strings.Join(names, ", "))
	}
	return full
}

// Secret returns a secret's value by its compose name, failing the test
// when the run did not generate it. Never log it.
func (e *Env) Secret(t testing.TB, name string) string {
	t.Helper()
	v, ok := e.Secrets[name]
	if !ok {
		t.Fatalf("harness: no value for secret %q (this run did not generate it)", name)
	}
	return v
}

// Dependency returns what the run knows of an app deployed for this one
// (recipe.toml's [[requires]]) by its key there, failing the test when the
// run has none by that name. Reach its URL with HTTPClient (or the
// Browser): the run's ingress routes the dependencies' domains too.
func (e *Env) Dependency(t testing.TB, name string) Dependency {
	t.Helper()
	d, ok := e.Dependencies[name]
	if !ok {
		keys := make([]string, 0, len(e.Dependencies))
		for k := range e.Dependencies {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Fatalf("harness: recipe %s has no dependency %q in this run (it has: %s)", e.Recipe, name, strings.Join(keys, ", "))
	}
	return d
}

// credentialLength is the length of a generated credential.
const credentialLength = 24

// credentialAlphabet keeps credentials safe in URLs, shells, forms and
// config files, and readable (no 0/O, 1/l/I).
const credentialAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Credential returns a random credential for name (24 letters and digits,
// with at least one lower-case letter, one upper-case letter and one digit,
// so that usual password rules accept it), the same for the same name
// within one Env. Before it is first returned it is announced to the runner
// through the run's mask file (Facts.MaskFile), so that every report masks
// it; it is never printed.
func (e *Env) Credential(t testing.TB, name string) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.creds[name]; ok {
		return v
	}
	v, err := newCredential(credentialLength)
	if err != nil {
		t.Fatalf("harness: credential %q: %v", name, err)
	}
	if err := e.announceMask(v); err != nil {
		t.Fatalf("harness: credential %q: announcing it for masking: %v", name, err)
	}
	e.creds[name] = v
	return v
}

// announceMask appends v to the run's mask file (facts.AppendMask).
func (e *Env) announceMask(v string) error {
	if e.MaskFile == "" {
		return errors.New("the run's facts name no mask file: the credential could not be masked, so it is not made")
	}
	return facts.AppendMask(e.MaskFile, v)
}

// newCredential draws n characters of credentialAlphabet uniformly (bytes
// past the largest multiple of its length are rejected) until the result
// has a lower-case letter, an upper-case letter and a digit.
func newCredential(n int) (string, error) {
	const size = len(credentialAlphabet)
	limit := byte(256 - 256%size)
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for {
		out = out[:0]
		for len(out) < n {
			if _, err := rand.Read(buf); err != nil {
				return "", fmt.Errorf("reading random bytes: %w", err)
			}
			for _, b := range buf {
				if b < limit && len(out) < n {
					out = append(out, credentialAlphabet[int(b)%size])
				}
			}
		}
		s := string(out)
		if strings.ContainsAny(s, "abcdefghijkmnopqrstuvwxyz") &&
			strings.ContainsAny(s, "ABCDEFGHJKLMNPQRSTUVWXYZ") &&
			strings.ContainsAny(s, "23456789") {
			return s, nil
		}
	}
}

// dockerConnectTimeout bounds connecting to the Docker engine.
const dockerConnectTimeout = 30 * time.Second

// dockerClient returns the Env's connection to the swarm the run deployed
// to (DOCKER_HOST or the local socket, as the runner), opening it on first
// use. It is internal/containers' client, not the deployer's: the harness
// links the moby client and nothing of what deploying takes.
func (e *Env) dockerClient(t testing.TB) *containers.Client {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.docker == nil {
		ctx, cancel := opContext(t, dockerConnectTimeout)
		defer cancel()
		c, err := containers.Connect(ctx)
		if err != nil {
			t.Fatalf("harness: connecting to the swarm of stack %s: %v", e.Stack, err)
		}
		if len(e.Nodes) > 0 {
			// A multi-node swarm: a task's container is on its node's engine.
			if c.Nodes, err = containers.NewHostNodes(ctx, c.API, e.Nodes); err != nil {
				c.Close()
				t.Fatalf("harness: the swarm's nodes: %v", err)
			}
		}
		e.docker = c
	}
	return e.docker
}

// opContext bounds one operation of a test: it ends with the test, or after
// timeout. In a Cleanup, where the test's own context is already over, it
// is bounded by timeout only.
func opContext(t testing.TB, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(testContext(t), timeout)
}

// testContext is the test's context, or, in a Cleanup, where that one is
// already over, a context that never ends.
func testContext(t testing.TB) context.Context {
	if ctx := t.Context(); ctx.Err() == nil {
		return ctx
	}
	return context.Background()
}
