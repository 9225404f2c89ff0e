package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/forge/forgetest"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

const shot = "custom/screenshots/example-home.png"

// screenshotRun passed and saved a screenshot of the app.
func screenshotRun() *results.Run {
	run := passedRun()
	run.Stages = append(run.Stages, results.Stage{Name: "custom", Status: results.Pass, Screenshots: []string{"custom/screenshots/login.png", shot}})
	return run
}

// outFolder is an output folder holding the screenshot, a real PNG of
// size w×h, and returns it with the PNG's bytes.
func outFolder(t *testing.T, w, h int, c color.Color) (string, []byte) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		r, g, b, a := c.RGBA()
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(r>>8)^uint8(i*7), uint8(g>>8)^uint8(i/3), uint8(b>>8), uint8(a>>8)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, filepath.FromSlash(shot))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, buf.Bytes()
}

// baseFile writes a results.json of the base branch.
func baseFile(t *testing.T, run *results.Run) string {
	t.Helper()
	data, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "base-results.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type giteaComment struct {
	ID     int64
	Body   string
	Assets []struct {
		ID                 int64
		Name               string
		Size               int64
		BrowserDownloadURL string `json:"browser_download_url"`
	}
}

// ourComment is the one comment on repo#pr carrying the example's marker.
func ourComment(t *testing.T, g *testenv.Gitea, repo forge.Repo, pr int) giteaComment {
	t.Helper()
	var all []giteaComment
	g.GetJSON(t, fmt.Sprintf("/repos/%s/issues/%d/comments", repo, pr), &all)
	var ours []giteaComment
	for _, c := range all {
		if strings.HasPrefix(c.Body, forge.Marker("example")) {
			ours = append(ours, c)
		}
	}
	if len(ours) != 1 {
		t.Fatalf("%d comments of ours: %+v", len(ours), ours)
	}
	return ours[0]
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return data
}

var imageRe = regexp.MustCompile(`!\[screenshot of the app: [^\]]*\]\(([^)]+)\)`)

// On a real Gitea the screenshot is attached to the sticky comment and
// shown in it; publishing again replaces it (one attachment, the new
// bytes), and a run without one removes it. The base branch's result
// gives the delta line.
func TestGiteaScreenshotAttached(t *testing.T) {
	g := testenv.GiteaServer(t)
	ctx := context.Background()
	repoName, pr, _ := g.PullRequest(t)
	fg, err := forge.New(ctx, forge.Options{Kind: "gitea", BaseURL: g.URL, Token: g.Token})
	if err != nil {
		t.Fatal(err)
	}
	repo := forge.Repo{Owner: g.Admin, Name: repoName}
	base := BaseFile(baseFile(t, &results.Run{Status: results.Pass, Recipe: "example", Ref: "refs/heads/main", Level: 5}))
	var firstBytes []byte
	for i, c := range []color.Color{color.RGBA{R: 200, A: 255}, color.RGBA{G: 200, A: 255}} {
		dir, data := outFolder(t, 80, 60, c)
		if i == 0 {
			firstBytes = data
		}
		var warnings []string
		p := &Publisher{T: Target{Forge: fg, Repo: repo, PR: pr}, Dir: dir, Base: base,
			Warnf: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) }}
		if err := p.Finish(ctx, screenshotRun()); err != nil {
			t.Fatal(err)
		}
		if len(warnings) > 0 {
			t.Errorf("publish %d: warnings %q", i+1, warnings)
		}
		c := ourComment(t, g, repo, pr)
		m := imageRe.FindStringSubmatch(c.Body)
		if len(c.Assets) != 1 || m == nil || m[1] != c.Assets[0].BrowserDownloadURL || c.Assets[0].Name != "example-home.png" {
			t.Fatalf("publish %d: assets %+v, body:\n%s", i+1, c.Assets, c.Body)
		}
		if got := get(t, m[1]); !bytes.Equal(got, data) || bytes.Equal(got, firstBytes) != (i == 0) {
			t.Errorf("publish %d: the comment's image is %d bytes, not the %d of this run's screenshot", i+1, len(got), len(data))
		}
		if !strings.Contains(c.Body, "\nL5 on main, L1 here\n") || !strings.Contains(c.Body, "\ninstall ✓ · custom ✓\n") {
			t.Errorf("publish %d: no delta or stage line:\n%s", i+1, c.Body)
		}
	}
	// A run with no screenshot leaves none of the earlier run's on the
	// comment.
	dir, _ := outFolder(t, 4, 4, color.Black)
	p := &Publisher{T: Target{Forge: fg, Repo: repo, PR: pr}, Dir: dir, Warnf: func(f string, a ...any) { t.Errorf("warning: "+f, a...) }}
	if err := p.Finish(ctx, passedRun()); err != nil {
		t.Fatal(err)
	}
	if c := ourComment(t, g, repo, pr); len(c.Assets) != 0 || strings.Contains(c.Body, "creenshot") {
		t.Errorf("after a run without a screenshot: assets %+v, body:\n%s", c.Assets, c.Body)
	}
}

// A token that may comment but not write to the repository (an outsider,
// as a fork's contributor is) is refused the upload: a warning, a note in
// the comment, and the publishing succeeds. A screenshot over the bound is
// not uploaded, with a note; a base file that does not load is a warning
// naming it.
func TestGiteaScreenshotRefusedOrTooBig(t *testing.T) {
	g := testenv.GiteaServer(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, token, base string
		max               int64
		attached          bool
		note, warning     string
	}{
		{name: "refused", token: "outsider", note: "Not attached: the token may not upload to the comment",
			warning: "the screenshot custom/screenshots/example-home.png is not attached to the comment: gitea: attach example-home.png"},
		{name: "too big", max: 1000, note: "KiB, over the 1000 bytes limit.", base: "missing",
			warning: "no delta against the base branch in the comment: read results: open "},
		{name: "other recipe's base", base: "other", attached: true, warning: `: a result of recipe "other", not "example"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repoName, pr, _ := g.PullRequest(t)
			repo := forge.Repo{Owner: g.Admin, Name: repoName}
			token := g.Token
			if tc.token != "" {
				token = g.User(t, tc.token+"-"+repoName, "read:repository", "write:issue", "read:user")
			}
			fg, err := forge.New(ctx, forge.Options{Kind: "gitea", BaseURL: g.URL, Token: token})
			if err != nil {
				t.Fatal(err)
			}
			dir, _ := outFolder(t, 200, 200, color.RGBA{B: 255, A: 255})
			var warnings []string
			p := &Publisher{T: Target{Forge: fg, Repo: repo, PR: pr}, Dir: dir, MaxScreenshot: tc.max,
				Warnf: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) }}
			switch tc.base {
			case "missing":
				p.Base = BaseFile(filepath.Join(dir, "no-such-results.json"))
			case "other":
				p.Base = BaseFile(baseFile(t, &results.Run{Recipe: "other", Level: 5}))
			}
			if err := p.Finish(ctx, screenshotRun()); err != nil {
				t.Fatalf("the comment failed: %v", err)
			}
			c := ourComment(t, g, repo, pr)
			if len(c.Assets) != map[bool]int{true: 1}[tc.attached] || imageRe.MatchString(c.Body) != tc.attached ||
				(tc.note != "" && !strings.Contains(c.Body, tc.note)) || strings.Contains(c.Body, " here\n") {
				t.Errorf("assets %+v, body:\n%s", c.Assets, c.Body)
			}
			if tc.warning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.warning)) {
				t.Errorf("warnings %q, want one with %q", warnings, tc.warning)
			}
			if tc.base == "missing" && !strings.Contains(warnings[0], "no-such-results.json") {
				t.Errorf("the warning does not name the file: %q", warnings[0])
			}
		})
	}
}

// GitHub has no attachments: the comment links the run's artifacts page.
func TestGitHubScreenshotLinked(t *testing.T) {
	f := forgetest.NewGitHub(t)
	f.AddToken("ghs_token", forgetest.Account{})
	f.AddOrg("coop-cloud")
	f.AddRepo(t, "coop-cloud", "example", forgetest.RepoOptions{})
	f.AddPull(t, "coop-cloud/example", forgetest.Pull{Number: 3, Head: "feature", Base: "main", HeadSHA: strings.Repeat("a", 40)})
	fg, err := forge.New(context.Background(), forge.Options{Kind: "github", BaseURL: f.URL, Token: "ghs_token"})
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := outFolder(t, 10, 10, color.White)
	runURL := "https://github.com/coop-cloud/example/actions/runs/42"
	p := &Publisher{T: Target{Forge: fg, Repo: forge.Repo{Owner: "coop-cloud", Name: "example"}, PR: 3, RunURL: runURL}, Dir: dir}
	if err := p.Finish(context.Background(), screenshotRun()); err != nil {
		t.Fatal(err)
	}
	cs := f.Comments("coop-cloud/example", 3)
	want := "Screenshot of the app: `" + shot + "`, in [the run's artifacts](" + runURL + "#artifacts)."
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "\n"+want+"\n") {
		t.Errorf("comments %+v, want one with %q", cs, want)
	}
	for _, r := range f.Requests() {
		if strings.Contains(r, "assets") {
			t.Errorf("an upload was tried on GitHub: %s", r)
		}
	}
}

// Only a regular PNG file inside the output folder is read: results.json
// names the file, and the tested code may have written it.
func TestReadPNGStaysInTheFolder(t *testing.T) {
	dir, data := outFolder(t, 4, 4, color.Black)
	if got, err := readPNG(dir, shot, 1<<20); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the screenshot: %v", err)
	}
	outside := filepath.Join(t.TempDir(), "secret.png")
	if err := os.WriteFile(outside, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, plant := range map[string]func(p string) error{
		"symlink out": func(p string) error { return os.Symlink(outside, p) },
		"not a PNG":   func(p string) error { return os.WriteFile(p, []byte("TOKEN=secret\n"), 0o644) },
		"a folder":    func(p string) error { return os.Mkdir(p, 0o755) },
		"dot-dot":     nil,
	} {
		rel := "custom/screenshots/" + strings.ReplaceAll(name, " ", "-") + ".png"
		if plant == nil {
			rel = "../" + filepath.Base(filepath.Dir(outside)) + "/secret.png"
		} else if err := plant(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			t.Fatal(err)
		}
		if got, err := readPNG(dir, rel, 1<<20); err == nil {
			t.Errorf("%s: read %d bytes of %s", name, len(got), rel)
		}
	}
}
