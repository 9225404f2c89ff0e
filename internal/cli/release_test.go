package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The release workflow, for real under a real Actions runner (act): a
// release tag's push builds the action image, stamps it with git describe,
// pushes it to a real registry (the CNCF distribution registry on
// 127.0.0.1) as the release and as the major version, and moves the major
// version's git tag on the origin. Then a workflow that uses the action
// pulls that image from the registry and runs it: the image by itself
// (`uses: docker://...:v2`, --version) and the action through its
// action.yml (`uses: ./`, a lint-only run that deploys nothing).
func TestReleaseWorkflowUnderAct(t *testing.T) {
	testenv.Swarm(t) // the lint-only run still plans against the swarm
	act := actBinary(t)
	reg := startRegistry(t)
	jobImage := releaseRunnerImage(t)
	const tag, major, image = "v2.99.0", "v2", "cc-ci/recipe-test"
	ref := reg + "/" + image
	t.Cleanup(func() {
		// The images the workflows built, tagged and pulled: by name only.
		exec.Command("docker", "rmi", ref+":"+tag, ref+":"+major).Run()
	})
	keepActToolcache(t)

	repo, origin, release := releaseRepo(t, reg, image, tag, major)
	event := filepath.Join(t.TempDir(), "event.json")
	writeJSON(t, event, map[string]any{"ref": "refs/tags/" + tag, "head_commit": map[string]any{"id": release},
		"repository": map[string]any{"full_name": image, "name": "recipe-test", "owner": map[string]any{"login": "cc-ci"}}})
	log := runAct(t, act, repo, "push", "-W", ".github/workflows/release.yml", "-e", event, "-P", "ubuntu-latest="+jobImage,
		"--var", "RECIPE_TEST_REGISTRY="+reg, "--var", "RECIPE_TEST_IMAGE="+image, "--var", "DOCKER_BUILDKIT=0")
	if !strings.Contains(log, "release "+tag+" ("+tag+"): "+ref+":"+tag+" and "+ref+":"+major) {
		t.Errorf("the workflow did not name the release as expected:\n%s", tailLines(log, 60))
	}

	// The registry holds the release and the major version, the same image.
	digest := func(tag string) string {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, "http://"+reg+"/v2/"+image+"/manifests/"+tag, nil)
		req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("registry: manifest %s:%s: %s", image, tag, res.Status)
		}
		return res.Header.Get("Docker-Content-Digest")
	}
	if d1, d2 := digest(tag), digest(major); d1 == "" || d1 != d2 {
		t.Errorf("registry: %s is %q, %s is %q", tag, d1, major, d2)
	}
	// The origin's major version tag moved to the release.
	if got := gitOut(t, origin, "rev-parse", major+"^{commit}"); got != release {
		t.Errorf("origin's %s is %s, want the release %s", major, got, release)
	}

	// A workflow using the action pulls the published image: nothing of it
	// is left locally first.
	if out, err := exec.Command("docker", "rmi", ref+":"+tag, ref+":"+major).CombinedOutput(); err != nil {
		t.Fatalf("docker rmi: %v\n%s", err, out)
	}
	consume := filepath.Join(repo, ".github", "workflows", "consume.yml")
	os.WriteFile(consume, []byte(`name: consume
on: push
jobs:
  use:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: the image by itself
        uses: docker://`+ref+`:`+major+`
        with:
          args: --version
      - name: the action
        id: rt
        uses: ./
        with:
          recipe: example
          stages: lint
          token: ""
          out: rt-results
      - name: outputs
        run: |
          echo "CONSUME status=${{ steps.rt.outputs.status }} level=${{ steps.rt.outputs.level }}"
          echo "CONSUME $(grep -o '"tool_version": *"[^"]*"' ${{ steps.rt.outputs.results }})"
          echo "CONSUME footer $(tail -n 1 rt-results/report.md)"
`), 0o644)
	log = runAct(t, act, repo, "push", "-W", ".github/workflows/consume.yml", "-e", event, "-P", "ubuntu-latest="+jobImage)
	for _, want := range []string{
		"recipe-test " + tag,                    // --version of the pulled image, stamped from the tag
		"::group::lint",                         // the action ran its lint stage
		"CONSUME status=pass ",                  // and passed
		`CONSUME "tool_version": "` + tag + `"`, // results.json says which build made it
		"recipe-test " + tag + "</sub>",         // and so does the report's footer
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the consuming workflow's log lacks %q:\n%s", want, tailLines(log, 60))
		}
	}
	if out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", ref+":"+major).CombinedOutput(); err != nil {
		t.Errorf("the image was not pulled from the registry: %v\n%s", err, out)
	}
}

// A release whose action.yml names another image publishes nothing.
func TestReleaseWorkflowRefusesAMismatchedActionYML(t *testing.T) {
	testenv.Swarm(t)
	act := actBinary(t)
	jobImage := releaseRunnerImage(t)
	keepActToolcache(t)
	const tag = "v2.99.1"
	reg := "127.0.0.1:9" // nothing listens: any push would fail differently
	// The release commit names ghcr.io's image; the workflow is told to
	// publish to reg.
	repo, _, release := releaseRepo(t, "ghcr.io", "cc-ci/recipe-test", tag, "v2")
	event := filepath.Join(t.TempDir(), "event.json")
	writeJSON(t, event, map[string]any{"ref": "refs/tags/" + tag, "head_commit": map[string]any{"id": release}})
	cmd := exec.CommandContext(t.Context(), act, "push", "-W", ".github/workflows/release.yml", "-e", event, "-P", "ubuntu-latest="+jobImage,
		"--var", "RECIPE_TEST_REGISTRY="+reg, "--var", "RECIPE_TEST_IMAGE=cc-ci/recipe-test",
		"--pull=false", "--action-offline-mode", "--no-cache-server", "--rm")
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	want := "the release " + tag + " must name docker://" + reg + "/cc-ci/recipe-test:" + tag
	if err == nil || !strings.Contains(string(out), want) || strings.Contains(string(out), "Success - Main build") {
		t.Errorf("act: %v; want a failure saying %q:\n%s", err, want, tailLines(string(out), 40))
	}
}

// runAct runs act in dir, offline, and returns its log; the job must
// succeed.
func runAct(t *testing.T, act, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), act, append(args, "--pull=false", "--action-offline-mode", "--no-cache-server", "--rm")...)
	cmd.Dir = dir
	cmd.WaitDelay = time.Minute
	start := time.Now()
	out, err := cmd.CombinedOutput()
	log := string(out)
	t.Logf("act %s ran for %s", args[0:3], time.Since(start).Round(time.Second))
	if err != nil || !strings.Contains(log, "Job succeeded") {
		t.Fatalf("act %s: %v\n%s", strings.Join(args, " "), err, tailLines(log, 80))
	}
	return log
}

// keepActToolcache removes act's tool cache volume after the test, unless
// it was there before.
func keepActToolcache(t *testing.T) {
	t.Helper()
	if exec.Command("docker", "volume", "inspect", "act-toolcache").Run() != nil {
		t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", "act-toolcache").Run() })
	}
}

// registryBinary is the distribution registry as scripts/setup-registry.sh
// caches it.
func registryBinary(t *testing.T) string {
	t.Helper()
	return testenv.CachedTool(t, "registry-3.1.2/registry", "scripts/setup-registry.sh")
}

// startRegistry runs a registry on a free port of 127.0.0.1 (Docker pushes
// to loopback registries over plain HTTP), storing into a temporary
// folder, for the test's duration. It returns HOST:PORT.
func startRegistry(t *testing.T) string {
	t.Helper()
	bin := registryBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yml")
	os.WriteFile(config, []byte(fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", config)
	logFile, _ := os.Create(filepath.Join(dir, "registry.log"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		logFile.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("registry on %s did not answer: %v\n%s", addr, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// releaseRunnerImage is the job image the release workflow runs in under
// act: Debian (the local base image) with git and this machine's docker CLI,
// as GitHub's ubuntu-latest has both. Built once per machine, then kept
// (like act and the base images).
func releaseRunnerImage(t *testing.T) string {
	t.Helper()
	const name = "recipe-test-release-runner:test"
	if exec.Command("docker", "image", "inspect", name).Run() == nil {
		return name
	}
	if exec.Command("docker", "image", "inspect", "debian:bookworm-slim").Run() != nil {
		t.Fatal("base image debian:bookworm-slim missing: run scripts/base-images.sh")
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data, err := os.ReadFile(docker)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "docker"), data, 0o755)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(`FROM debian:bookworm-slim
RUN apt-get update -q && apt-get install -y -q --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
COPY docker /usr/local/bin/docker
`), 0o644)
	cmd := exec.CommandContext(t.Context(), "docker", "build", "-q", "-t", name, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, out)
	}
	return name
}

// releaseRepo makes a repository of this checkout's tracked files, as
// they are in the work tree, committed and tagged major (an older
// release), then released as tag by scripts/release.sh for the image
// registry/image (action.yml names it, in a commit tagged tag). Its origin (the push URL; the fetch URL names GitHub, which
// act reads the repository's name from) is a bare repository served by
// git daemon on 127.0.0.1, holding both tags. It returns the repository,
// the origin's folder and the release commit.
func releaseRepo(t *testing.T, registry, image, tag, major string) (repo, origin, release string) {
	t.Helper()
	root := testenv.RepoRoot(t)
	base := t.TempDir()
	repo, origin = filepath.Join(base, "recipe-test"), filepath.Join(base, "origin.git")
	files := gitOut(t, root, "ls-files", "-z")
	for _, f := range strings.Split(strings.TrimRight(files, "\x00"), "\x00") {
		src := filepath.Join(root, f)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink (none matter here)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(repo, f)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	git := func(dir string, args ...string) string { return gitOut(t, dir, args...) }
	git(repo, "init", "-q", "-b", "main")
	git(repo, "add", "-A")
	git(repo, "commit", "-q", "-m", "an older release")
	git(repo, "tag", major)
	script := exec.CommandContext(t.Context(), "bash", "scripts/release.sh", tag)
	script.Dir = repo
	script.Env = append(os.Environ(), "RECIPE_TEST_REGISTRY="+registry, "RECIPE_TEST_IMAGE="+image,
		"GIT_AUTHOR_NAME=release test", "GIT_AUTHOR_EMAIL=release@test.invalid",
		"GIT_COMMITTER_NAME=release test", "GIT_COMMITTER_EMAIL=release@test.invalid")
	if out, err := script.CombinedOutput(); err != nil {
		t.Fatalf("scripts/release.sh %s: %v\n%s", tag, err, out)
	}
	release = git(repo, "rev-parse", "HEAD")
	want := "  image: docker://" + registry + "/" + image + ":" + tag
	if show := git(repo, "show", tag+":action.yml"); !strings.Contains(show, "\n"+want+"\n") || git(repo, "rev-parse", tag+"^{commit}") != release {
		t.Fatalf("the release commit's action.yml does not run %q, or %s is not the release commit", want, tag)
	}

	git(base, "init", "-q", "--bare", origin)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// git-daemon itself, not `git daemon`, which would run it as a child
	// that outlives a killed parent unreaped.
	daemon := exec.Command(filepath.Join(git(base, "--exec-path"), "git-daemon"), "--export-all", "--enable=receive-pack", "--reuseaddr",
		"--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), "--base-path="+base, base)
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		daemon.Process.Kill()
		daemon.Wait()
	})
	git(repo, "remote", "add", "origin", "https://github.com/cc-ci/recipe-test.git")
	git(repo, "remote", "set-url", "--push", "origin", fmt.Sprintf("git://127.0.0.1:%d/origin.git", port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command("git", "-C", repo, "push", "-q", "origin", "main", "--tags").CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("git push to the daemon: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := gitOut(t, origin, "rev-parse", major+"^{commit}"); got == release {
		t.Fatal("the origin's major tag is the release already")
	}
	return repo, origin, release
}

// gitOut runs git in dir with a fixed identity and returns its trimmed
// output.
func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=release test", "-c", "user.email=release@test.invalid"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.TrimSpace(string(out))
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// scripts/release.sh refuses what would make a wrong release: no
// version, a version that is not vMAJOR.MINOR.PATCH, a tag that exists,
// uncommitted changes; nothing is committed or tagged then.
func TestReleaseScriptRefuses(t *testing.T) {
	root := testenv.RepoRoot(t)
	for name, c := range map[string]struct {
		tag, want string
		setup     func(repo string)
	}{
		"no version":  {"", "usage: scripts/release.sh vMAJOR.MINOR.PATCH", nil},
		"not semver":  {"v2.1", "usage: scripts/release.sh vMAJOR.MINOR.PATCH", nil},
		"tag exists":  {"v2.0.0", "tag v2.0.0 exists already", func(repo string) { gitOut(t, repo, "tag", "v2.0.0") }},
		"uncommitted": {"v2.0.1", "the work tree has changes", func(repo string) { os.WriteFile(filepath.Join(repo, "x"), nil, 0o644) }},
		"no runs.image": {"v2.0.2", "action.yml has no runs.image line", func(repo string) {
			os.WriteFile(filepath.Join(repo, "action.yml"), []byte("runs: {}\n"), 0o644)
			gitOut(t, repo, "commit", "-qam", "x")
		}},
	} {
		t.Run(name, func(t *testing.T) {
			repo := t.TempDir()
			os.MkdirAll(filepath.Join(repo, "scripts"), 0o755)
			data, err := os.ReadFile(filepath.Join(root, "scripts", "release.sh"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(repo, "scripts", "release.sh"), data, 0o755)
			os.WriteFile(filepath.Join(repo, "action.yml"), []byte("runs:\n  using: docker\n  image: docker://ghcr.io/cc-ci/recipe-test:v1.0.0\n"), 0o644)
			gitOut(t, repo, "init", "-q", "-b", "main")
			gitOut(t, repo, "add", "-A")
			gitOut(t, repo, "commit", "-qm", "start")
			if c.setup != nil {
				c.setup(repo)
			}
			head := gitOut(t, repo, "rev-parse", "HEAD")
			cmd := exec.Command("bash", "scripts/release.sh", c.tag)
			cmd.Dir = repo
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), c.want) {
				t.Errorf("release.sh %q: %v\n%s\nwant %q", c.tag, err, out, c.want)
			}
			if gitOut(t, repo, "rev-parse", "HEAD") != head || c.tag != "" && c.tag != "v2.0.0" && gitOut(t, repo, "tag", "-l", c.tag) != "" {
				t.Error("something was committed or tagged")
			}
		})
	}
}
