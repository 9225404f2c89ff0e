package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// actionImageRef is the image action.yml runs (runs.image without its
// docker:// scheme): the published release image.
func actionImageRef(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Runs struct {
			Using string `yaml:"using"`
			Image string `yaml:"image"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	ref, ok := strings.CutPrefix(action.Runs.Image, "docker://")
	if action.Runs.Using != "docker" || !ok || ref == "" {
		t.Fatalf("action.yml runs %q image %q, want a docker:// image", action.Runs.Using, action.Runs.Image)
	}
	return ref
}

// actionDevImage is the tag actionImage builds this work tree's action
// image as.
const actionDevImage = "recipe-test-action:dev"

// actionImage builds this work tree's Dockerfile (stamped with git
// describe, on the local base images) and tags it as the image action.yml
// runs, so that `uses: ./` under act runs this code instead of pulling the
// published release. The build is kept as recipe-test-action:dev (the
// next build reuses its layers); the action.yml tag is removed afterwards
// unless it was there before. It returns the tag.
func actionImage(t *testing.T) string {
	t.Helper()
	ref := actionImageRef(t)
	const dev = actionDevImage
	for _, img := range []string{"debian:bookworm-slim", "golang:1.26-bookworm"} {
		if exec.Command("docker", "image", "inspect", img).Run() != nil {
			t.Fatalf("base image %s missing: run scripts/base-images.sh", img)
		}
	}
	build := exec.CommandContext(t.Context(), "docker", "build", "-q", "--build-arg", "VERSION="+gitDescribe(t), "-t", dev, ".")
	build.Dir = testenv.RepoRoot(t)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0") // no buildx here: the classic builder
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the action image: %v\n%s", err, out)
	}
	if exec.Command("docker", "image", "inspect", ref).Run() != nil {
		t.Cleanup(func() { exec.Command("docker", "rmi", ref).Run() })
	}
	if out, err := exec.Command("docker", "tag", dev, ref).CombinedOutput(); err != nil {
		t.Fatalf("docker tag %s %s: %v\n%s", dev, ref, err, out)
	}
	return ref
}

// maxImageSize bounds the action image: a runner pulls it once per
// release, and it once weighed 1.17 GB with the full Chromium.
const maxImageSize = 400_000_000

// The action image as the Dockerfile builds it: within its size budget
// (each enrolled recipe's test binary counts), stamped with this
// checkout's version, and with the browser the harness looks for first.
func TestActionImage(t *testing.T) {
	testenv.Swarm(t)
	ref := actionImage(t)
	out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Size}}", ref).Output()
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	if _, err := fmt.Sscan(string(out), &size); err != nil || size <= 0 || size > maxImageSize {
		t.Errorf("the action image is %s bytes (%v), over the budget of %d MB", strings.TrimSpace(string(out)), err, maxImageSize/1_000_000)
	}
	if out, err := exec.Command("docker", "run", "--rm", "--pull", "never", ref, "--version").CombinedOutput(); err != nil || string(out) != "recipe-test "+gitDescribe(t)+"\n" {
		t.Errorf("--version in the image: %q (%v), want recipe-test %s", out, err, gitDescribe(t))
	}
	out, err = exec.Command("docker", "run", "--rm", "--pull", "never", "--entrypoint", "/usr/lib/chromium/chromium-headless-shell", ref, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Chromium") {
		t.Errorf("the headless shell in the image: %q (%v)", out, err)
	}
}
