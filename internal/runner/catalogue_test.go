package runner

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// catalogueRun runs every default stage of the enrolled recipe
// recipes/<name> on its fixture copy testdata/recipes/<name>-upstream,
// against the stand-in images of the real app that scripts/build-apps.sh
// builds under the names and tags the recipe uses, and checks what every
// such run must show: each stage's result, the recipe's own tests all
// passing, the level ladder, and nothing left behind (execute checks the
// residue independently).
func catalogueRun(t *testing.T, name string, images ...string) *results.Run {
	t.Helper()
	testenv.Swarm(t)
	for _, ref := range images {
		testenv.AppImage(t, ref)
	}
	return catalogueRunBuilt(t, name)
}

// catalogueRunBuilt is catalogueRun once its images are checked (a heavy
// app's test checks its image with testenv.HeavyAppImage).
func catalogueRunBuilt(t *testing.T, name string) *results.Run {
	t.Helper()
	root := testenv.RepoRoot(t)
	res, progress := executeWithin(t, 15*time.Minute, Options{
		Source: Source{Recipe: fixture(t, name+"-upstream"), Enrollment: filepath.Join(root, "recipes", name)},
		Deploy: Deploy{Timeout: 3 * time.Minute},
	})
	if res.Status != results.Pass || res.Recipe != name {
		// The cause first: a CI log keeps the first lines of a long failure.
		t.Errorf("status %s recipe %s\n%s\n%s", res.Status, res.Recipe, failureSummary(res), progress)
	}
	wantStage(t, res, "lint", results.Pass)
	wantStage(t, res, "install", results.Pass)
	wantStage(t, res, "upgrade", results.Skip, "no releases")
	wantStage(t, res, "backup", results.Pass)
	st := wantStage(t, res, "restore", results.Pass)
	if len(st.Tests) != 2 || st.Tests[0].Status != results.Pass || st.Tests[1].Status != results.Pass {
		t.Errorf("restore tests %+v", st.Tests)
	}
	for _, w := range []string{"data mutated: the check now fails", "the original data came back"} {
		if !strings.Contains(st.Output, w) {
			t.Errorf("restore output lacks %q:\n%s", w, st.Output)
		}
	}
	// Each restore restarted the restored services before the data check.
	if n := len(regexp.MustCompile(`: converged \S+ after the restart`).FindAllString(st.Output, -1)); n != 2 {
		t.Errorf("%d restarts after a restore logged, want 2:\n%s", n, st.Output)
	}
	custom := wantStage(t, res, "custom", results.Pass)
	for _, tc := range custom.Tests {
		if tc.Status != results.Pass {
			t.Errorf("recipe test %s: %s %s\n%s", tc.Name, tc.Status, tc.Reason, tc.Output)
		}
	}
	wantStage(t, res, "teardown", results.Pass)
	// L1 installs; L2 (upgrade) is unverified here, so the level stops at
	// 1, and the rungs above it are each proven on their own.
	want := []results.RungState{results.RungPassed, results.RungUnverified, results.RungPassed, results.RungPassed, results.RungPassed}
	for i, r := range res.Ladder {
		if i < len(want) && r.State != want[i] {
			t.Errorf("rung L%d %s: %s (want %s) %s", r.Level, r.Name, r.State, want[i], r.Reason)
		}
	}
	if res.Level != 1 || len(res.Ladder) != len(want) {
		t.Errorf("level %d ladder %+v", res.Level, res.Ladder)
	}
	for _, p := range res.Parity {
		if p.Status != results.Pass {
			t.Errorf("parity row %s: %s %s", p.Feature, p.Status, p.Note)
		}
	}
	if len(res.Residue) != 0 {
		t.Errorf("residue: %v", res.Residue)
	}
	return res
}

// custom-html, verified on the real app: Debian's nginx under the recipe's
// image name and tag serves the content volume; the hooks prove through
// nginx that the restored pages are served again; the recipe's own tests
// (content round trip, content types, redirects, Chromium) pass.
func TestCatalogueCustomHTML(t *testing.T) {
	res := catalogueRun(t, "custom-html", "nginx:1.29.1")
	custom := stage(t, res, "custom")
	names := map[string]bool{}
	for _, tc := range custom.Tests {
		names[tc.Name] = tc.Status == results.Pass
	}
	for _, want := range []string{"TestHealthCheck", "TestContentRoundTrip", "TestContentTypes", "TestRedirectsAndNotFound", "TestPageRendersInBrowser"} {
		if !names[want] {
			t.Errorf("%s did not pass (tests %v)", want, names)
		}
	}
	if len(res.Parity) != 4 {
		t.Errorf("parity %+v", res.Parity)
	}
}

// mumble, verified on the real app: Debian's Mumble server under the
// recipe's image name and tag, reached over its Traefik TCP and UDP
// routers. Readiness needs the UDP ping's echo; the backup of the data
// volume (the server's database) restores the generic markers; the
// recipe's own tests speak the Mumble protocol: a login that sees the
// channel tree, a channel the SuperUser (the recipe's secret) creates and
// another client reads back, a wrong password refused, the UDP ping.
func TestCatalogueMumble(t *testing.T) {
	res := catalogueRun(t, "mumble", "mumblevoip/mumble-server:v1.5.735")
	install := stage(t, res, "install")
	for _, w := range []string{"tcp router", "accepted a connection", "udp router", `rt-probe`} {
		if !strings.Contains(install.Output, w) {
			t.Errorf("install output lacks %q:\n%s", w, install.Output)
		}
	}
	custom := stage(t, res, "custom")
	names := map[string]bool{}
	for _, tc := range custom.Tests {
		names[tc.Name] = tc.Status == results.Pass
	}
	for _, want := range []string{"TestUDPPing", "TestClientSeesRootChannel", "TestChannelRoundTrip", "TestSuperUserWrongPasswordRejected", "TestStateOnDataVolume"} {
		if !names[want] {
			t.Errorf("%s did not pass (tests %v)", want, names)
		}
	}
	if len(res.Parity) != 3 {
		t.Errorf("parity %+v", res.Parity)
	}
}

// bluesky-pds, verified on the real app: @atproto/pds 0.5.35 on Node 24
// under the recipe's image name and tag, with a PLC directory of the
// deployment's own (@did-plc/server, the fixture copy's overlay). The PLC
// rotation key is the run's own (recipe.toml's [secrets], the recipe's
// secret being generate=false); the hooks prove the restored data through
// a PDS started on it (the account logs in, its records read back); the
// recipe's own tests speak XRPC: health, describeServer, sessions refused
// without an account, an account with a session and a record written and
// read back, the account's did:plc under the supplied rotation key, the
// landing page in Chromium.
func TestCatalogueBlueskyPDS(t *testing.T) {
	res := catalogueRun(t, "bluesky-pds", "ghcr.io/bluesky-social/pds:0.4", "recipe-test-fixtures/plc-directory:0.0.1")
	wantPassed(t, stage(t, res, "custom"), "TestHealthCheck", "TestDescribeServer", "TestSessionRequiresAuth",
		"TestAccountSessionAndRecordRoundTrip", "TestAccountRegisteredWithSuppliedRotationKey", "TestLandingPageRendersInBrowser")
	restore := stage(t, res, "restore")
	if !strings.Contains(restore.Output, "logs rtbackup.") {
		t.Errorf("restore output lacks the hooks' login on the restored data:\n%s", restore.Output)
	}
	if len(res.Parity) != 5 {
		t.Errorf("parity %+v", res.Parity)
	}
}

// uptime-kuma, verified on the real app: Uptime Kuma 2.0.0-dev.0 from its
// npm release on Node 24 under the recipe's image name and tag, with its
// SQLite database on the data volume (backed up with the generic markers);
// the recipe's own tests speak its Socket.IO API over Engine.IO's HTTP
// long-polling (setup, login, add a monitor and read it back in the
// monitor list, the app's own heartbeat of an HTTP monitor, a push monitor
// fed over HTTP, logins refused) and log in to the dashboard in Chromium.
func TestCatalogueUptimeKuma(t *testing.T) {
	res := catalogueRun(t, "uptime-kuma", "louislam/uptime-kuma:2.0.0-dev.0")
	wantPassed(t, stage(t, res, "custom"), "TestMonitorRoundTrip", "TestHTTPMonitorReportsUp", "TestPushMonitor", "TestLoginRequired",
		"TestDashboardInBrowser", "TestDecodeOpen", "TestSplitPayload", "TestDecodeSIO", "TestEncodeEvent")
	if len(res.Parity) != 1 {
		t.Errorf("parity %+v", res.Parity)
	}
}

// ghost, verified on the real app: Ghost 6.65.0 from its npm release,
// installed as Ghost-CLI does, on Node 24 under the recipe's image name and
// tag, with its SQLite database in the content volume. A heavy image
// (testdata/apps/apps-heavy.txt): the test skips, saying so, until
// RECIPE_TEST_HEAVY_APPS=1 scripts/build-apps.sh has built it. The hooks
// prove the restored data through a second Ghost started on it (the owner
// logs in, both posts read back); the recipe's own tests make the owner and
// an integration as Ghost documents, publish a post through the Admin API
// with a JWT and read it back through the Admin and Content APIs, check
// that unauthenticated and forged requests are refused, and see the post
// rendered on the site, in Chromium too.
func TestCatalogueGhost(t *testing.T) {
	testenv.Swarm(t)
	testenv.HeavyAppImage(t, "ghost:6.65.0")
	res := catalogueRunBuilt(t, "ghost")
	wantPassed(t, stage(t, res, "custom"), "TestPostRoundTrip", "TestAPIRequiresAuth", "TestPostRendersOnSite",
		"TestAdminToken", "TestAdminTokenBadKey")
	restore := stage(t, res, "restore")
	if !strings.Contains(restore.Output, "reads both posts back") {
		t.Errorf("restore output lacks the hooks' check through a Ghost started on the restored data:\n%s", restore.Output)
	}
	if len(res.Parity) != 2 {
		t.Errorf("parity %+v", res.Parity)
	}
}

// wantPassed checks that each of the named recipe tests ran in st and
// passed.
func wantPassed(t *testing.T, st results.Stage, names ...string) {
	t.Helper()
	passed := map[string]bool{}
	for _, tc := range st.Tests {
		passed[tc.Name] = tc.Status == results.Pass
	}
	for _, want := range names {
		if !passed[want] {
			t.Errorf("%s did not pass (tests %v)", want, passed)
		}
	}
}

// n8n, verified on the real app: n8n 2.41.1 from its npm release on Node
// 24 under the recipe's image name and tag, with its SQLite database and
// encryption key in /home/node/.n8n. A heavy image
// (testdata/apps/apps-heavy.txt): the test skips, saying so, until
// RECIPE_TEST_HEAVY_APPS=1 scripts/build-apps.sh has built it. The hooks
// prove the restored data with n8n's own CLI (two imported workflows
// exported again from the restored files); the recipe's own tests set the
// owner up as n8n documents, make a workflow through the REST API and read
// it back, check the editor's settings against the recipe's configuration,
// the session cookie and logins refused, the state on the data volume,
// and a sign-in in Chromium that survives a reload.
func TestCatalogueN8n(t *testing.T) {
	testenv.Swarm(t)
	testenv.HeavyAppImage(t, "n8nio/n8n:2.41.1")
	res := catalogueRunBuilt(t, "n8n")
	wantPassed(t, stage(t, res, "custom"), "TestHealthCheck", "TestWorkflowRoundTrip", "TestRESTSettings", "TestLoginState",
		"TestStateOnDataVolume", "TestSignInSurvivesReload")
	restore := stage(t, res, "restore")
	if !strings.Contains(restore.Output, "exports both workflows with their seeded names") {
		t.Errorf("restore output lacks the hooks' export of the restored workflows:\n%s", restore.Output)
	}
	if len(res.Parity) != 5 {
		t.Errorf("parity %+v", res.Parity)
	}
}

// failureSummary names each stage and test that did not pass, with its
// reason, one per line.
func failureSummary(res *results.Run) string {
	var b strings.Builder
	for _, st := range res.Stages {
		if st.Status == results.Pass || st.Status == results.Skip {
			continue
		}
		fmt.Fprintf(&b, "stage %s: %s: %s\n", st.Name, st.Status, st.Reason)
		for _, tc := range st.Tests {
			if tc.Status != results.Pass && tc.Status != results.Skip {
				fmt.Fprintf(&b, "  test %s: %s: %s\n", tc.Name, tc.Status, tc.Reason)
			}
		}
	}
	return b.String()
}
