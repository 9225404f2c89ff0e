package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The ssh inputs become files of a private folder, readable by their owner
// only and ending their last line (ssh refuses a key file that does not),
// the key's lines masked; the cleanup removes them. No inputs, no folder;
// text that is no private key is refused, naming the input.
func TestSSHInputs(t *testing.T) {
	const key = "-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAA\r\nQyNTUxOQAAACBkZXJpdmVk\r\n-----END OPENSSH PRIVATE KEY-----"
	inputs := map[string]string{"ssh-key": key, "ssh-known-hosts": "w1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\n"}
	var masked []string
	s, cleanup, err := sshInputs(func(k string) string { return inputs[k] }, func(m string) { masked = append(masked, m) })
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		s.Identity:   strings.ReplaceAll(key, "\r\n", "\n") + "\n",
		s.KnownHosts: "w1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\n",
	} {
		got, err := os.ReadFile(path)
		st, serr := os.Stat(path)
		if err != nil || serr != nil || string(got) != want || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %q (%v, %v), want %q with mode 0600", path, got, err, serr, want)
		}
	}
	if dir := filepath.Dir(s.Identity); filepath.Dir(s.KnownHosts) != dir || strings.HasPrefix(dir, ".") {
		t.Errorf("files %s and %s, want one private folder", s.Identity, s.KnownHosts)
	}
	if !slices.Equal(masked, []string{"b3BlbnNzaC1rZXktdjEAAAAA", "QyNTUxOQAAACBkZXJpdmVk"}) {
		t.Errorf("masked %q, want the key's lines", masked)
	}
	cleanup()
	if _, err := os.Stat(filepath.Dir(s.Identity)); !os.IsNotExist(err) {
		t.Errorf("the folder of the key is still there after cleanup: %v", err)
	}

	none, cleanup, err := sshInputs(func(string) string { return "" }, func(string) {})
	cleanup()
	if err != nil || none.Identity != "" || none.KnownHosts != "" {
		t.Errorf("no inputs: %+v, %v", none, err)
	}
	_, cleanup, err = sshInputs(func(k string) string {
		if k == "ssh-key" {
			return "/home/ci/.ssh/id_ed25519"
		}
		return ""
	}, func(string) {})
	cleanup()
	if err == nil || !strings.Contains(err.Error(), "input ssh-key: not a private key") {
		t.Errorf("a path as the key: %v, want an error naming input ssh-key", err)
	}
}
