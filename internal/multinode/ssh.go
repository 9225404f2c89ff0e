package multinode

import (
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/docker/cli/cli/connhelper"
	"github.com/moby/moby/client"
)

// SSH is what ssh uses to reach the nodes of ssh:// endpoints besides the
// user's ~/.ssh: a private key and a known_hosts file. In a container
// action, ssh reads the home folder of /etc/passwd's root, which the runner
// mounts nothing into, so the key and the pinned host keys are given as
// files (the action writes its ssh-key and ssh-known-hosts inputs into a
// private folder). Empty fields leave ssh's own defaults.
type SSH struct {
	Identity   string // a private key file: ssh -i, with IdentitiesOnly=yes
	KnownHosts string // a known_hosts file: UserKnownHostsFile, host keys checked strictly
}

func (s SSH) set() bool { return s.Identity != "" || s.KnownHosts != "" }

// flags are the ssh options s stands for. BatchMode: a prompt (a
// passphrase, an unknown host) fails at once instead of hanging a run.
func (s SSH) flags() []string {
	var f []string
	if s.Identity != "" {
		f = append(f, "-i", s.Identity, "-o", "IdentitiesOnly=yes")
	}
	if s.KnownHosts != "" {
		f = append(f, "-o", "UserKnownHostsFile="+s.KnownHosts, "-o", "StrictHostKeyChecking=yes")
	}
	return append(f, "-o", "BatchMode=yes")
}

// WithSSH returns eps with s for each: an endpoint whose engine is reached
// over ssh (an ssh:// URL, or a context whose host is one) dials with it.
// A file of s that cannot be read is an error naming the option and file;
// s given with no ssh endpoint to use it is no error (a context may be
// ssh or not).
func WithSSH(eps []Endpoint, s SSH) ([]Endpoint, error) {
	for _, f := range []struct{ what, path string }{{"ssh identity", s.Identity}, {"ssh known_hosts", s.KnownHosts}} {
		if f.path == "" {
			continue
		}
		st, err := os.Stat(f.path)
		if err == nil && st.IsDir() {
			err = fmt.Errorf("is a folder")
		}
		if err != nil {
			return nil, fmt.Errorf("%s file %s: %w", f.what, f.path, err)
		}
	}
	out := make([]Endpoint, len(eps))
	for i, e := range eps {
		e.SSH = s
		out[i] = e
	}
	return out, nil
}

// sshClientOpts are the client options of an ssh:// engine dialled with
// the endpoint's SSH options, as docker/cli's endpoint makes them for its
// connection helper (no TLS, no proxy), with the flags added to ssh's
// command line.
func sshClientOpts(e Endpoint, host string) ([]client.Opt, error) {
	helper, err := connhelper.GetConnectionHelperWithSSHOpts(host, e.SSH.flags())
	if err != nil {
		return nil, fmt.Errorf("node %s: endpoint %s: %w", e.Node, e.Target, err)
	}
	return []client.Opt{
		client.WithHTTPClient(&http.Client{Transport: &http.Transport{DialContext: helper.Dialer}}),
		client.WithHost(helper.Host),
		client.WithDialContext(helper.Dialer),
		client.WithAPIVersionFromEnv(),
	}, nil
}

// isSSH reports whether a Docker host URL is an ssh:// one.
func isSSH(host string) bool {
	u, err := url.Parse(host)
	return err == nil && u.Scheme == "ssh"
}
