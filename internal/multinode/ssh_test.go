package multinode

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/moby/moby/client"
)

// TestWithSSH: each endpoint gets the options; a file that is missing or a
// folder is an error naming the option and the file.
func TestWithSSH(t *testing.T) {
	dir := t.TempDir()
	key, hosts := filepath.Join(dir, "id"), filepath.Join(dir, "known_hosts")
	for _, f := range []string{key, hosts} {
		if err := os.WriteFile(f, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	eps := []Endpoint{{Node: "w1", Target: "ssh://ci@w1"}, {Node: "w2", Target: "tcp://192.0.2.7:2375"}}
	got, err := WithSSH(eps, SSH{Identity: key, KnownHosts: hosts})
	if err != nil || len(got) != 2 || got[0].SSH.Identity != key || got[1].SSH.KnownHosts != hosts || eps[0].SSH.set() {
		t.Errorf("WithSSH = %+v, %v (the input left unchanged)", got, err)
	}
	for _, tc := range []struct {
		s    SSH
		want string
	}{
		{SSH{Identity: filepath.Join(dir, "nope")}, "ssh identity file " + filepath.Join(dir, "nope")},
		{SSH{Identity: key, KnownHosts: dir}, "ssh known_hosts file " + dir + ": is a folder"},
	} {
		if _, err := WithSSH(eps, tc.s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("WithSSH(%+v): %v, want an error with %q", tc.s, err, tc.want)
		}
	}
}

// TestDialSSHOptions: the key and known_hosts reach ssh's command line
// (strict host key checking, no prompts), for an ssh:// URL and for a
// context whose host is one; without them ssh gets none of these flags.
// The ssh on PATH records its arguments and fails, as an unreachable host
// would: the request fails, and what ssh was asked is checked.
func TestDialSSHOptions(t *testing.T) {
	bin, dir := t.TempDir(), t.TempDir()
	args := filepath.Join(dir, "args")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >>" + args + "\necho 'ssh: connect to host: refused' >&2\nexit 255\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	if err := contexts(dir).CreateOrUpdate(store.Metadata{
		Name: "ssh-ctx", Metadata: map[string]any{},
		Endpoints: map[string]any{docker.DockerEndpoint: docker.EndpointMeta{Host: "ssh://ci@w2.example.org"}},
	}); err != nil {
		t.Fatal(err)
	}
	opts := SSH{Identity: "/keys/id", KnownHosts: "/keys/known_hosts"}
	for _, tc := range []struct {
		e    Endpoint
		want []string
	}{
		{Endpoint{Node: "w1", Target: "ssh://ci@w1.example.org", SSH: opts},
			[]string{"-i\n/keys/id\n-o\nIdentitiesOnly=yes\n-o\nUserKnownHostsFile=/keys/known_hosts\n-o\nStrictHostKeyChecking=yes\n-o\nBatchMode=yes\n", "-l\nci\n", "--\nw1.example.org\ndocker system dial-stdio"}},
		{Endpoint{Node: "w2", Target: "ssh-ctx", SSH: opts}, []string{"-i\n/keys/id\n", "--\nw2.example.org\n"}},
		{Endpoint{Node: "w3", Target: "ssh://ci@w3.example.org"}, []string{"--\nw3.example.org\n"}},
	} {
		os.Remove(args)
		api, err := dial(tc.e, dir)
		if err != nil {
			t.Fatalf("dial %s: %v", tc.e, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err = api.Ping(ctx, client.PingOptions{})
		cancel()
		api.Close()
		if err == nil {
			t.Errorf("%s: a ping through an ssh that fails answered", tc.e)
		}
		got, _ := os.ReadFile(args)
		for _, w := range tc.want {
			if !strings.Contains(string(got), w) {
				t.Errorf("%s: ssh's arguments lack %q:\n%s", tc.e, w, got)
			}
		}
		if !tc.e.SSH.set() && strings.Contains(string(got), "IdentitiesOnly") {
			t.Errorf("%s: ssh got options nobody gave:\n%s", tc.e, got)
		}
	}
}
