// Package multinode reaches every node of a swarm: the operator names an
// engine endpoint for each node other than the manager recipe-test talks to
// (`--node NAME=ENDPOINT`: a Docker host URL, unix://, tcp:// or ssh://, or
// a Docker context's name), and Nodes maps the swarm's node IDs to those
// engines. What is node-local goes through it: a task container's exec and
// archives (internal/containers), and the containers and volumes of the
// residue inventory and of teardown (internal/swarm). A node the swarm has
// and no endpoint reaches is an error that names it, never a silent pass.
package multinode

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"slices"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/moby/moby/client"
)

// Endpoint names how to reach one node's engine.
type Endpoint struct {
	Node   string // the node's hostname as the swarm lists it (docker node ls), or its ID
	Target string // a Docker host URL (unix://, tcp://, ssh://) or a Docker context's name
	SSH    SSH    // the key and known_hosts ssh uses for it, if not the user's ~/.ssh (WithSSH)
}

func (e Endpoint) String() string { return e.Node + "=" + e.Target }

// Parse reads NAME=ENDPOINT assignments (the --node flag's values). An
// empty name or endpoint, a node named twice, or a URL of a scheme Docker
// does not dial is an error naming the assignment.
func Parse(specs []string) ([]Endpoint, error) {
	var out []Endpoint
	for _, s := range specs {
		name, target, ok := strings.Cut(s, "=")
		name, target = strings.TrimSpace(name), strings.TrimSpace(target)
		if !ok || name == "" || target == "" {
			return nil, fmt.Errorf("node %q: want NAME=ENDPOINT (a Docker host URL or a Docker context name)", s)
		}
		if slices.ContainsFunc(out, func(e Endpoint) bool { return e.Node == name }) {
			return nil, fmt.Errorf("node %q: named twice", name)
		}
		if isURL(target) {
			u, err := url.Parse(target)
			if err != nil {
				return nil, fmt.Errorf("node %q: endpoint %q: %w", name, target, err)
			}
			switch u.Scheme {
			case "unix", "tcp", "ssh", "http", "https":
			default:
				return nil, fmt.Errorf("node %q: endpoint %q: scheme %q is not one of unix, tcp, ssh, http, https", name, target, u.Scheme)
			}
		} else if err := store.ValidateContextName(target); err != nil {
			return nil, fmt.Errorf("node %q: endpoint %q is neither a Docker host URL nor a context name: %w", name, target, err)
		}
		out = append(out, Endpoint{Node: name, Target: target})
	}
	return out, nil
}

// isURL tells a Docker host URL from a context name, as the docker CLI
// does for DOCKER_HOST and --context: a URL has a scheme.
func isURL(s string) bool { return strings.Contains(s, "://") }

// Dial opens the engine an endpoint names, through docker/cli's connection
// helpers (ssh:// runs `ssh HOST docker system dial-stdio`), negotiating
// the API version. A context is read from the Docker CLI's context store
// ($DOCKER_CONFIG/contexts, else ~/.docker/contexts), TLS material
// included. Nothing is sent yet: Open checks that the engine answers.
func Dial(e Endpoint) (*client.Client, error) {
	return dial(e, config.ContextStoreDir())
}

// dial is Dial with the context store's folder.
func dial(e Endpoint, contextStore string) (*client.Client, error) {
	ep, err := endpointOf(e.Target, contextStore)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", e.Node, err)
	}
	if err := canDial(e, ep); err != nil {
		return nil, err
	}
	var opts []client.Opt
	if e.SSH.set() && isSSH(ep.Host) {
		opts, err = sshClientOpts(e, ep.Host)
	} else {
		opts, err = ep.ClientOpts()
	}
	if err != nil {
		return nil, fmt.Errorf("node %s: endpoint %s: %w", e.Node, e.Target, err)
	}
	api, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("node %s: endpoint %s: %w", e.Node, e.Target, err)
	}
	return api, nil
}

// Check resolves each endpoint as Dial does (a context is read from the
// Docker CLI's context store) and returns an error naming every node whose
// endpoint cannot be dialled from here, without connecting: a context that
// cannot be read, or an ssh:// engine (a URL or a context's host) with no
// ssh binary on PATH. docker/cli's connection helper would only fail at
// the first request, with "exec: ssh: not found" behind a connection
// error; the runner checks at plan time, before anything is deployed.
func Check(eps []Endpoint) error { return check(eps, config.ContextStoreDir()) }

// check is Check with the context store's folder.
func check(eps []Endpoint, contextStore string) error {
	var errs []error
	for _, e := range eps {
		ep, err := endpointOf(e.Target, contextStore)
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", e.Node, err))
			continue
		}
		errs = append(errs, canDial(e, ep))
	}
	return errors.Join(errs...)
}

// canDial returns an error naming the node when its engine is reached over
// ssh and no ssh binary is on PATH: docker/cli's connection helper runs
// `ssh HOST docker system dial-stdio`, with the keys, known_hosts and
// config of the user's ~/.ssh.
func canDial(e Endpoint, ep docker.Endpoint) error {
	u, err := url.Parse(ep.Host)
	if err != nil || u.Scheme != "ssh" {
		return nil
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		via := ""
		if !isURL(e.Target) {
			via = " (docker context " + e.Target + ")"
		}
		return fmt.Errorf("node %s: endpoint %s%s is reached by running ssh (docker/cli's connection helper: ssh HOST docker system dial-stdio), and there is no ssh binary here: %w; install OpenSSH's client (Debian's openssh-client) or give a tcp:// endpoint", e.Node, ep.Host, via, err)
	}
	return nil
}

// endpointOf resolves a target into docker/cli's endpoint, whose ClientOpts
// apply the connection helpers and a context's TLS settings.
func endpointOf(target, contextStore string) (docker.Endpoint, error) {
	if isURL(target) {
		return docker.Endpoint{EndpointMeta: docker.EndpointMeta{Host: target}}, nil
	}
	s := contexts(contextStore)
	meta, err := s.GetMetadata(target)
	if err != nil {
		return docker.Endpoint{}, fmt.Errorf("docker context %s: %w", target, err)
	}
	em, err := docker.EndpointFromContext(meta)
	if err != nil {
		return docker.Endpoint{}, fmt.Errorf("docker context %s: %w", target, err)
	}
	ep, err := docker.WithTLSData(s, target, em)
	if err != nil {
		return docker.Endpoint{}, fmt.Errorf("docker context %s: TLS material: %w", target, err)
	}
	return ep, nil
}

// contexts opens the Docker CLI's context store in dir, reading the docker
// endpoint of each context (the context's own metadata is not needed).
func contexts(dir string) *store.ContextStore {
	return store.New(dir, store.NewConfig(
		func() any { return &map[string]any{} },
		store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }),
	))
}

// checkReaches returns an error unless api answers and is the engine of node.
func checkReaches(ctx context.Context, api *client.Client, e Endpoint, node Node) error {
	info, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return fmt.Errorf("node %s: engine at %s does not answer: %w", e.Node, e.Target, err)
	}
	if got := info.Info.Swarm.NodeID; got != node.ID {
		return fmt.Errorf("node %s: engine at %s is node %q of the swarm, not %s (%s)", e.Node, e.Target, got, node.Hostname, node.ID)
	}
	return nil
}
