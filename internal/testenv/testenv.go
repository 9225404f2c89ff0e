// Package testenv gates integration tests on the resources they need: a
// Docker engine that is a swarm manager, and the fixture images built by
// scripts/build-fixtures.sh.
//
// When a resource is missing the test is skipped with the reason, unless the
// environment variable RECIPE_TEST_REQUIRE_SWARM is "1" (CI sets it through
// scripts/test.sh): then the test fails, so CI can never pass by skipping.
package testenv

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

const (
	// RequireEnv names the environment variable that turns a missing
	// resource from a skip into a failure when set to "1".
	RequireEnv = "RECIPE_TEST_REQUIRE_SWARM"

	// Module is the module path of this repository.
	Module = "github.com/cc-ci/recipe-test/v2"

	// FixtureRepo prefixes the fixture image names: FixtureRepo/<name>:<tag>.
	FixtureRepo = "recipe-test-fixtures"

	// FixtureLabel holds the fixture name; FixtureHashLabel the hash of the
	// contents the image was built from (see scripts/build-fixtures.sh).
	FixtureLabel     = "recipe-test.fixture"
	FixtureHashLabel = "recipe-test.fixture.hash"

	// timeout bounds each check against the engine.
	timeout = 15 * time.Second
)

// Required reports whether missing resources must fail tests rather than
// skip them.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// unavailable skips t with the reason, or fails it when resources are
// required. The caller must return right after.
func unavailable(t testing.TB, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s (%s=1: required)", reason, RequireEnv)
		return
	}
	t.Skipf("%s; run scripts/setup-host.sh, or set %s=1 to make this a failure", reason, RequireEnv)
}

// connect returns a client configured from the environment (DOCKER_HOST,
// ...). The API version is negotiated down to the daemon's on first use.
func connect() (*client.Client, error) {
	return client.New(client.FromEnv)
}

// Swarm skips (or, with RECIPE_TEST_REQUIRE_SWARM=1, fails) t unless a
// Docker engine answers and is a swarm manager. In -short mode it skips
// unless swarm tests are required.
func Swarm(t testing.TB) {
	if testing.Short() && !Required() {
		t.Skip("swarm integration test skipped in -short mode")
		return
	}
	cli, err := connect()
	if err != nil {
		unavailable(t, "testenv: docker client: %v", err)
		return
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Ping().SwarmStatus is not filled in on API 1.41 (Docker 20.10); the
	// Info endpoint says whether this node is a manager on every version.
	res, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		unavailable(t, "testenv: no Docker engine at %s: %v", cli.DaemonHost(), err)
		return
	}
	sw := res.Info.Swarm
	if !sw.ControlAvailable {
		unavailable(t, "testenv: the Docker engine at %s is not a swarm manager (swarm state %q)",
			cli.DaemonHost(), sw.LocalNodeState)
		return
	}
}

// FixtureImage checks that the fixture image FixtureRepo/name:tag exists and
// was built by scripts/build-fixtures.sh, and returns its ID ("sha256:...").
// When it is missing, t is skipped, or failed when resources are required.
func FixtureImage(t testing.TB, name, tag string) string {
	ref := FixtureRepo + "/" + name + ":" + tag
	cli, err := connect()
	if err != nil {
		unavailable(t, "testenv: docker client: %v", err)
		return ""
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	img, err := cli.ImageInspect(ctx, ref)
	switch {
	case cerrdefs.IsNotFound(err):
		unavailable(t, "testenv: fixture image %s not found: run scripts/build-fixtures.sh", ref)
		return ""
	case err != nil:
		unavailable(t, "testenv: inspect fixture image %s at %s: %v", ref, cli.DaemonHost(), err)
		return ""
	}
	var labels map[string]string
	if img.Config != nil {
		labels = img.Config.Labels
	}
	if labels[FixtureHashLabel] == "" {
		unavailable(t, "testenv: image %s has no %s label: it was not built by scripts/build-fixtures.sh",
			ref, FixtureHashLabel)
		return ""
	}
	return img.ID
}

// RepoRoot returns the root of this repository: the nearest folder, from the
// working directory up, whose go.mod declares module Module.
func RepoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	for {
		if isModuleRoot(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testenv: no go.mod of module %s above the working directory", Module)
		}
		dir = parent
	}
}

func isModuleRoot(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == Module
		}
	}
	return false
}

// Fixture is one entry of testdata/images/fixtures.txt.
type Fixture struct {
	Name, Tag string
	BuildTags string // comma-separated Go build tags, or ""
}

// Ref returns the image reference FixtureRepo/Name:Tag.
func (f Fixture) Ref() string { return FixtureRepo + "/" + f.Name + ":" + f.Tag }

// Fixtures returns the fixture images listed in testdata/images/fixtures.txt,
// the list scripts/build-fixtures.sh builds.
func Fixtures(t testing.TB) []Fixture {
	path := filepath.Join(RepoRoot(t), "testdata", "images", "fixtures.txt")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	var out []Fixture
	for i, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) < 2 || len(fields) > 3 {
			t.Fatalf("testenv: %s:%d: want <name> <tag> [build tags], got %q", path, i+1, line)
		}
		f := Fixture{Name: fields[0], Tag: fields[1]}
		if len(fields) == 3 {
			f.BuildTags = fields[2]
		}
		out = append(out, f)
	}
	return out
}
