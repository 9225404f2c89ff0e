package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/multinode"
)

// sshInputs writes the ssh-key and ssh-known-hosts inputs (the text of a
// private key, from a secret, and known_hosts lines) into a private
// folder, for ssh:// node endpoints: in the action's container, ssh reads
// /etc/passwd's home for root, which the runner mounts nothing into, and a
// key file in the workspace would be the pull request's to read. Each line
// of the key is masked in the log. The returned cleanup removes the
// folder; it is never nil.
func sshInputs(in func(string) string, mask func(string)) (multinode.SSH, func(), error) {
	key, hosts := strings.TrimSpace(in("ssh-key")), strings.TrimSpace(in("ssh-known-hosts"))
	none := func() {}
	if key == "" && hosts == "" {
		return multinode.SSH{}, none, nil
	}
	if key != "" && !strings.Contains(key, "PRIVATE KEY-----") {
		return multinode.SSH{}, none, fmt.Errorf("input ssh-key: not a private key (want the text of one, e.g. -----BEGIN OPENSSH PRIVATE KEY-----...; pass it from a secret)")
	}
	for _, line := range strings.Split(key, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "-----") {
			mask(line)
		}
	}
	dir, err := os.MkdirTemp("", "recipe-test-ssh-")
	if err != nil {
		return multinode.SSH{}, none, fmt.Errorf("inputs ssh-key and ssh-known-hosts: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	var s multinode.SSH
	for _, f := range []struct {
		input, text, name string
		path              *string
	}{{"ssh-key", key, "id", &s.Identity}, {"ssh-known-hosts", hosts, "known_hosts", &s.KnownHosts}} {
		if f.text == "" {
			continue
		}
		*f.path = filepath.Join(dir, f.name)
		// ssh wants a key file that ends its last line, readable by its owner only.
		text := strings.ReplaceAll(f.text, "\r\n", "\n") + "\n"
		if err := os.WriteFile(*f.path, []byte(text), 0o600); err != nil {
			cleanup()
			return multinode.SSH{}, none, fmt.Errorf("input %s: %w", f.input, err)
		}
	}
	return s, cleanup, nil
}
