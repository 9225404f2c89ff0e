package multinode_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/multinode"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// TestOpenLocal maps endpoints on the local swarm: the manager's own node
// named is harmless and served by the manager's connection, an unknown node
// or an ID no endpoint reaches is an error naming it.
func TestOpenLocal(t *testing.T) {
	testenv.Swarm(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	api := managerAPI(t)
	info, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := multinode.Open(ctx, api, []multinode.Endpoint{{Node: info.Info.Name, Target: "unix:///var/run/docker.sock"}})
	if err != nil {
		t.Fatalf("naming the manager's own node: %v", err)
	}
	defer n.Close()
	if got, err := n.Engine(ctx, info.Info.Swarm.NodeID); err != nil || got != api {
		t.Errorf("Engine(the manager's node) = %p, %v; want the manager's connection %p", got, err, api)
	}
	if _, err := n.Engine(ctx, "nosuchnodeid"); err == nil || !strings.Contains(err.Error(), "nosuchnodeid") || !strings.Contains(err.Error(), "--node") {
		t.Errorf("Engine(an unknown node) = %v, want an error naming it", err)
	}
	if os.Getenv("RECIPE_TEST_MULTINODE") != "1" {
		all, err := n.All(ctx)
		if err != nil || len(all) != 1 || all[0].API != api || all[0].ID != n.Self() {
			t.Errorf("All() on a single-node swarm = %v, %v; want the manager's node alone", all, err)
		}
	}
	_, err = multinode.Open(ctx, api, []multinode.Endpoint{{Node: "no-such-node", Target: "unix:///var/run/docker.sock"}})
	if err == nil || !strings.Contains(err.Error(), "no-such-node") || !strings.Contains(err.Error(), info.Info.Name) {
		t.Errorf("an endpoint for an unknown node: %v, want an error naming it and the swarm's nodes", err)
	}
}
