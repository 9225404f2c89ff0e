package multinode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/moby/moby/api/types/swarm"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    []Endpoint
		wantErr string
	}{
		{in: nil},
		{in: []string{"w1=tcp://10.0.0.2:2375", " w2 = ssh://ci@w2.example.org", "w3=remote-ctx", "w4=unix:///run/w4.sock"},
			want: []Endpoint{{Node: "w1", Target: "tcp://10.0.0.2:2375"}, {Node: "w2", Target: "ssh://ci@w2.example.org"}, {Node: "w3", Target: "remote-ctx"}, {Node: "w4", Target: "unix:///run/w4.sock"}}},
		{in: []string{"w1"}, wantErr: `node "w1": want NAME=ENDPOINT`},
		{in: []string{"=tcp://x:1"}, wantErr: "want NAME=ENDPOINT"},
		{in: []string{"w1="}, wantErr: "want NAME=ENDPOINT"},
		{in: []string{"w1=tcp://a:1", "w1=tcp://b:1"}, wantErr: `node "w1": named twice`},
		{in: []string{"w1=ftp://a"}, wantErr: `scheme "ftp"`},
		{in: []string{"w1=not a context"}, wantErr: "neither a Docker host URL nor a context name"},
	} {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("Parse(%q)[%d] = %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

func TestFind(t *testing.T) {
	node := func(id, host string) swarm.Node {
		n := swarm.Node{ID: id}
		n.Description.Hostname = host
		return n
	}
	nodes := []swarm.Node{node("id1", "manager"), node("id2", "worker"), node("id3", "twin"), node("id4", "twin")}
	for _, tc := range []struct{ name, wantID, wantErr string }{
		{name: "worker", wantID: "id2"},
		{name: "id3", wantID: "id3"},
		{name: "twin", wantErr: "2 nodes have that hostname"},
		{name: "nope", wantErr: "no node of that hostname or ID (its nodes: manager, twin, twin, worker)"},
	} {
		got, err := find(nodes, tc.name)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.name) {
				t.Errorf("find(%s) = %v, %v; want an error naming it with %q", tc.name, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.ID != tc.wantID {
			t.Errorf("find(%s) = %v, %v; want %s", tc.name, got, err, tc.wantID)
		}
	}
}

// TestDialContext: a context name is read from the Docker CLI's context
// store, as `docker --context NAME` does.
func TestDialContext(t *testing.T) {
	dir := t.TempDir()
	s := contexts(dir)
	if err := s.CreateOrUpdate(store.Metadata{
		Name:      "worker-ctx",
		Metadata:  map[string]any{},
		Endpoints: map[string]any{docker.DockerEndpoint: docker.EndpointMeta{Host: "tcp://192.0.2.7:2376"}},
	}); err != nil {
		t.Fatal(err)
	}
	api, err := dial(Endpoint{Node: "worker", Target: "worker-ctx"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	if got := api.DaemonHost(); got != "tcp://192.0.2.7:2376" {
		t.Errorf("context worker-ctx dials %s, want its endpoint tcp://192.0.2.7:2376", got)
	}
	_, err = dial(Endpoint{Node: "worker", Target: "missing-ctx"}, dir)
	if err == nil || !strings.Contains(err.Error(), "node worker") || !strings.Contains(err.Error(), "docker context missing-ctx") {
		t.Errorf("a missing context: %v, want an error naming the node and the context", err)
	}
}

// TestDialSSH: an ssh:// endpoint goes through docker/cli's connection
// helper (ssh HOST docker system dial-stdio), not a TCP dial.
func TestDialSSH(t *testing.T) {
	bin := t.TempDir() // an ssh on PATH (dial checks there is one), never run
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	api, err := dial(Endpoint{Node: "w", Target: "ssh://ci@w.example.org"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	if got := api.DaemonHost(); got != "http://docker.example.com" {
		t.Errorf("ssh endpoint's host %s, want the connection helper's placeholder", got)
	}
}

// TestCheckSSHBinary: an ssh:// endpoint, as a URL or as a context's host,
// is refused naming the node and the missing ssh binary when PATH has
// none, before anything connects; with an ssh on PATH, and for tcp://
// endpoints either way, Check passes. Dial refuses the same.
func TestCheckSSHBinary(t *testing.T) {
	dir := t.TempDir()
	if err := contexts(dir).CreateOrUpdate(store.Metadata{
		Name:      "ssh-ctx",
		Metadata:  map[string]any{},
		Endpoints: map[string]any{docker.DockerEndpoint: docker.EndpointMeta{Host: "ssh://ci@w2.example.org"}},
	}); err != nil {
		t.Fatal(err)
	}
	viaURL := Endpoint{Node: "w1", Target: "ssh://ci@w1.example.org"}
	viaCtx := Endpoint{Node: "w2", Target: "ssh-ctx"}
	plain := Endpoint{Node: "w3", Target: "tcp://192.0.2.7:2375"}

	t.Setenv("PATH", t.TempDir()) // no ssh
	err := check([]Endpoint{viaURL, viaCtx, plain}, dir)
	for _, want := range []string{"node w1: endpoint ssh://ci@w1.example.org is reached by running ssh",
		"node w2: endpoint ssh://ci@w2.example.org (docker context ssh-ctx)", "no ssh binary here"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("check without ssh on PATH: %v, want an error with %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "w3") {
		t.Errorf("check without ssh on PATH: %v, names the tcp:// node w3", err)
	}
	if api, err := dial(viaURL, dir); err == nil || !strings.Contains(err.Error(), "no ssh binary here") {
		if api != nil {
			api.Close()
		}
		t.Errorf("dial %s without ssh on PATH: %v, want the missing ssh named", viaURL, err)
	}
	if err := check([]Endpoint{{Node: "w4", Target: "missing-ctx"}}, dir); err == nil || !strings.Contains(err.Error(), "node w4: docker context missing-ctx") {
		t.Errorf("check of a missing context: %v, want an error naming the node and the context", err)
	}

	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	if err := check([]Endpoint{viaURL, viaCtx, plain}, dir); err != nil {
		t.Errorf("check with an ssh on PATH: %v", err)
	}
}
