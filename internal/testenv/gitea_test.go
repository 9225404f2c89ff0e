package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"
)

// TestMain stops the Gitea server the tests of this package share, as every
// package that uses GiteaServer must.
func TestMain(m *testing.M) {
	code := m.Run()
	StopGitea()
	os.Exit(code)
}

func TestGiteaServer(t *testing.T) {
	start := time.Now()
	g := GiteaServer(t)
	t.Logf("first GiteaServer call: %v", time.Since(start))

	if again := GiteaServer(t); again != g {
		t.Fatalf("second GiteaServer call returned another server")
	}
	if strings.HasSuffix(g.URL, "/") || !strings.HasPrefix(g.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want http://127.0.0.1:PORT", g.URL)
	}

	admin, err := gitea.NewClient(g.URL, gitea.SetToken(g.Token))
	if err != nil {
		t.Fatalf("sdk client: %v", err)
	}
	v, _, err := admin.ServerVersion()
	if err != nil {
		t.Fatalf("GET /version: %v", err)
	}
	if v != GiteaVersion {
		t.Errorf("server version %q, want %q", v, GiteaVersion)
	}
	me, _, err := admin.GetMyUserInfo()
	if err != nil {
		t.Fatalf("GET /user as admin: %v", err)
	}
	if me.UserName != g.Admin || !me.IsAdmin {
		t.Errorf("admin token is of %q (admin %v), want admin %q", me.UserName, me.IsAdmin, g.Admin)
	}

	// Pagination is tested with few items.
	var api struct {
		MaxResponseItems int `json:"max_response_items"`
		DefaultPagingNum int `json:"default_paging_num"`
	}
	if err := g.api(nil, http.MethodGet, "/settings/api", nil, &api, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if api.MaxResponseItems != 10 || api.DefaultPagingNum != 10 {
		t.Errorf("API settings %+v, want 10 items per page", api)
	}

	t.Run("PullRequest", func(t *testing.T) {
		repo, n, head := g.PullRequest(t)
		if repo == "" || n <= 0 || len(head) != 40 {
			t.Fatalf("PullRequest() = %q, %d, %q", repo, n, head)
		}
		pr, _, err := admin.GetPullRequest(g.Admin, repo, int64(n))
		if err != nil {
			t.Fatalf("GET /repos/%s/%s/pulls/%d: %v", g.Admin, repo, n, err)
		}
		if pr.Head == nil || pr.Head.Sha != head {
			t.Errorf("pull request head %+v, want sha %s", pr.Head, head)
		}
		if pr.State != gitea.StateOpen {
			t.Errorf("pull request state %q, want open", pr.State)
		}
		// Each call makes a new repository.
		repo2, _, head2 := g.PullRequest(t)
		if repo2 == repo || head2 == "" {
			t.Errorf("second PullRequest() = %q, %q: want another repository", repo2, head2)
		}
	})

	t.Run("User", func(t *testing.T) {
		token := g.User(t, "alice", "read:user", "write:issue")
		alice, err := gitea.NewClient(g.URL, gitea.SetToken(token))
		if err != nil {
			t.Fatalf("sdk client: %v", err)
		}
		me, _, err := alice.GetMyUserInfo()
		if err != nil {
			t.Fatalf("GET /user with alice's token: %v", err)
		}
		if me.UserName != "alice" || me.IsAdmin {
			t.Errorf("token is of %q (admin %v), want non-admin alice", me.UserName, me.IsAdmin)
		}
		// Asking again for an existing user gives another working token.
		token2 := g.User(t, "alice", "read:user")
		if token2 == token {
			t.Errorf("second User call returned the same token")
		}
		again, err := gitea.NewClient(g.URL, gitea.SetToken(token2))
		if err != nil {
			t.Fatalf("sdk client: %v", err)
		}
		if me, _, err := again.GetMyUserInfo(); err != nil || me.UserName != "alice" {
			t.Errorf("GET /user with alice's second token: %v, %v", me, err)
		}
	})

	t.Run("ScopeDenied", func(t *testing.T) {
		repo, n, _ := g.PullRequest(t)
		opt := gitea.CreateIssueCommentOption{Body: "denied"}

		token := g.User(t, "bob", "read:user")
		bob, err := gitea.NewClient(g.URL, gitea.SetToken(token))
		if err != nil {
			t.Fatalf("sdk client: %v", err)
		}
		_, res, err := bob.CreateIssueComment(g.Admin, repo, int64(n), opt)
		if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
			status := 0
			if res != nil {
				status = res.StatusCode
			}
			t.Fatalf("comment with a read:user token: status %d, error %v; want 403", status, err)
		}
		t.Logf("comment with a read:user token: 403: %v", err)

		// The same comment with the scope it needs is allowed.
		writer := g.User(t, "carol", "write:issue")
		carol, err := gitea.NewClient(g.URL, gitea.SetToken(writer))
		if err != nil {
			t.Fatalf("sdk client: %v", err)
		}
		if _, _, err := carol.CreateIssueComment(g.Admin, repo, int64(n), gitea.CreateIssueCommentOption{Body: "allowed"}); err != nil {
			t.Errorf("comment with a write:issue token: %v", err)
		}
	})
}

func TestGiteaBinaryFromEnv(t *testing.T) {
	t.Setenv(GiteaEnv, filepath.Join(t.TempDir(), "no-gitea"))
	if _, err := GiteaBinary(); err == nil || !strings.Contains(err.Error(), GiteaEnv) {
		t.Errorf("GiteaBinary() with a missing $%s: error %v", GiteaEnv, err)
	}
	bin := filepath.Join(t.TempDir(), "gitea")
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(GiteaEnv, bin)
	if got, err := GiteaBinary(); err != nil || got != bin {
		t.Errorf("GiteaBinary() = %q, %v; want %q", got, err, bin)
	}
}

func TestGiteaBinaryFromCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(GiteaEnv, "")
	t.Setenv("RECIPE_TEST_CACHE", cache)
	_, err := GiteaBinary()
	if err == nil || !strings.Contains(err.Error(), "scripts/setup-gitea.sh") {
		t.Errorf("GiteaBinary() with an empty cache: error %v, want one naming scripts/setup-gitea.sh", err)
	}
	bin := filepath.Join(cache, "gitea-"+GiteaVersion, "gitea")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := GiteaBinary(); err != nil || got != bin {
		t.Errorf("GiteaBinary() = %q, %v; want %q", got, err, bin)
	}
}

// A binary that is there but fails reports what failed, with its output.
func TestGiteaStartFailure(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gitea")
	script := "#!/bin/sh\necho 'broken gitea' >&2\nexit 3\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	g, err := startGitea(bin)
	if err == nil {
		g.stop()
		t.Fatal("startGitea with a failing binary: no error")
	}
	if !strings.Contains(err.Error(), "gitea migrate") || !strings.Contains(err.Error(), "broken gitea") {
		t.Errorf("error %q: want the failed command and its output", err)
	}
}

// A server whose port was taken after it was picked starts on another one,
// and stopping it ends the process and removes its folder.
func TestGiteaPortInUseAndStop(t *testing.T) {
	bin, err := GiteaBinary()
	if err != nil {
		unavailable(t, "testenv: %v", err)
		return
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port

	dir, err := os.MkdirTemp("", giteaDirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	g := &Gitea{Admin: "admin", dir: dir, bin: bin, password: randomHex(16),
		secretKey: randomHex(32), internalToken: randomHex(32)}
	defer g.stop()
	if err := g.writeConfig(port); err != nil {
		t.Fatal(err)
	}
	if _, err := g.run("migrate"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := g.startWebOn(port); err != nil {
		t.Fatal(err)
	}
	t.Logf("started on %s after finding port %d taken, in %v", g.URL, port, time.Since(start))
	if g.URL == fmt.Sprintf("http://127.0.0.1:%d", port) {
		t.Fatalf("URL %s: want another port than the taken one", g.URL)
	}

	exited := g.exited
	start = time.Now()
	g.stop()
	t.Logf("stopped in %v", time.Since(start))
	select {
	case <-exited:
	default:
		t.Errorf("the server process is still running after stop")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("folder %s still there after stop (%v)", dir, err)
	}
}

// Folders left by a test binary that is gone are removed at the next start;
// those of running ones are kept.
func TestRemoveStaleGiteaDirs(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skipf("no process to outlive: %v", err)
	}
	mk := func(pid int) string {
		dir, err := os.MkdirTemp("", giteaDirPrefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.WriteFile(filepath.Join(dir, giteaOwnerFile), []byte(strconv.Itoa(pid)), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	stale, live := mk(dead.Process.Pid), mk(os.Getppid())
	removeStaleGiteaDirs()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("folder of a gone test binary still there (%v)", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("folder of a running test binary removed: %v", err)
	}
}

// A failed start fails every caller with the same error, not only the first;
// a missing binary skips. Both leave the shared server stopped.
func TestGiteaServerFailureReachesEveryCaller(t *testing.T) {
	StopGitea() // the shared server, if an earlier test started it
	t.Cleanup(StopGitea)
	t.Setenv(RequireEnv, "")

	bin := filepath.Join(t.TempDir(), "gitea")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho 'broken gitea' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(GiteaEnv, bin)
	var first, second recorder
	first.TB, second.TB = t, t
	if g := GiteaServer(&first); g != nil {
		t.Fatalf("GiteaServer with a broken binary returned a server")
	}
	GiteaServer(&second)
	if first.failed == "" || !strings.Contains(first.failed, "broken gitea") || second.failed != first.failed {
		t.Errorf("failures %q and %q: want the same, with the binary's output", first.failed, second.failed)
	}

	StopGitea()
	t.Setenv(GiteaEnv, filepath.Join(t.TempDir(), "missing"))
	var missing recorder
	missing.TB = t
	GiteaServer(&missing)
	if missing.skipped == "" || missing.failed != "" {
		t.Errorf("missing binary: skipped %q, failed %q; want a skip", missing.skipped, missing.failed)
	}
}
