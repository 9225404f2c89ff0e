package enroll

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/scaffold"
)

// evil is recipe text built to act in the pull request's description: a
// heading and a list item of its own, raw HTML, mentions, an issue
// reference, a link, an image, emphasis, a table pipe and another
// enrollment's hidden marker.
const evil = "v1\n## Forged\n- forged item\n<img src=https://evil.example/i.png> @admin #7 [click](https://evil.example) " +
	"![i](https://evil.example/i.png) **bold** | pipe `tick <!-- recipe-test:enroll recipe=victim -->"

// Everything the enrollment pull request quotes from the recipe (compose
// files, services, images, routers, healthchecks, probe, versions,
// secrets, upstream tests, lint findings, warnings, the floor run) renders
// as text: only the description's own elements appear, no link or image
// the recipe made, no mention, and only its own marker.
func TestBodyRecipeStringsStayText(t *testing.T) {
	d := &scaffold.Detection{Recipe: "example", ComposeFiles: []string{evil}, HookService: evil,
		Services: []scaffold.Service{{Name: evil, Image: evil, Routers: []string{evil}, Healthcheck: evil}},
		Probe:    scaffold.Probe{Service: evil, Path: evil, Why: evil},
		Secrets:  []scaffold.Secret{{Name: evil, Generate: true}, {Name: evil, External: true}},
		Versions: []string{evil}, UpstreamTests: []string{evil}, Lint: []string{evil, evil}, LintErrors: 1, Warnings: []string{evil}}
	floor := &results.Run{Status: results.Fail, Recipe: evil, Stages: []results.Stage{{Name: "install", Status: results.Fail, Reason: evil}}}
	body := Body(Options{Name: "example", Upstream: "https://git.example.org/r/x.git) [x](https://evil.example", Floor: floor},
		&Result{Detection: d, Foreign: []string{evil}})
	if n := strings.Count(body, "<!--"); n != 3 || !strings.HasPrefix(body, Marker("example")) || strings.Contains(body, "<!-- recipe-test:enroll recipe=victim") {
		t.Errorf("%d markers (want ours and the floor section's two):\n%s", n, body)
	}
	var out bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	rendered := out.String()
	for _, bad := range []string{"<img", "<strong>bold", `href="https://evil`, "<h2>Forged", "<li>forged"} {
		if strings.Contains(rendered, bad) {
			t.Errorf("rendered %q from recipe text:\n%s", bad, rendered)
		}
	}
	if n := strings.Count(rendered, "<h2>"); n != 1 {
		t.Errorf("%d h2 headings, want the description's one", n)
	}
	noCode := regexp.MustCompile(`(?s)<code>.*?</code>|<[^>]*>`).ReplaceAllString(rendered, " ")
	if m := regexp.MustCompile(`(^|[^A-Za-z0-9])@[A-Za-z0-9]|#[0-9]`).FindString(noCode); m != "" {
		t.Errorf("a mention or an issue reference %q in the rendered text", m)
	}
	for _, want := range []string{"Forged", "click", "bold", "pipe"} {
		if !strings.Contains(noCode, want) && !strings.Contains(rendered, want) {
			t.Errorf("the recipe's text %q does not show", want)
		}
	}
}

// A recipe with generate=false secrets gets a checklist item asking to
// check the values the scaffold's [secrets] tables make.
func TestBodyAsksToCheckSuppliedSecrets(t *testing.T) {
	d := &scaffold.Detection{Recipe: "pds", Secrets: []scaffold.Secret{
		{Name: "jwt_secret", Generate: true, External: true},
		{Name: "plc_rotation_key", External: true, Length: 64, Charset: "hex"},
		{Name: "smtp_password", External: true}}}
	body := Body(Options{Name: "pds", Upstream: "https://git.example.org/r/pds.git"}, &Result{Detection: d})
	want := "- [ ] `[secrets]` in `recipes/pds/recipe.toml` supplies `plc_rotation_key`, `smtp_password` (generate=false) with random values"
	if !strings.Contains(body, want) {
		t.Errorf("body lacks %q:\n%s", want, body)
	}
	d.Secrets = d.Secrets[:1]
	if body := Body(Options{Name: "pds", Upstream: "https://git.example.org/r/pds.git"}, &Result{Detection: d}); strings.Contains(body, "`[secrets]` in") {
		t.Errorf("a recipe whose secrets are all generated got the [secrets] item:\n%s", body)
	}
}
