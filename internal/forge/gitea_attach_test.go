package forge

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// pngOf is a real PNG of one colour.
func pngOf(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// On a real Gitea, a comment's attachment is replaced, not added to: after
// two uploads it holds one, the second, served at the URL returned; with
// no data, none. A
// user who may comment on the pull request but not write to the
// repository (a fork's contributor) is refused the upload, and the
// refusal reads as one (IsDenied).
func TestGiteaReplaceCommentAttachments(t *testing.T) {
	g := testenv.GiteaServer(t)
	repoName, pr, _ := g.PullRequest(t)
	repo := Repo{g.Admin, repoName}
	ctx := context.Background()
	fg := giteaForgeFor(t, g, g.Token)
	att, ok := fg.(CommentAttacher)
	if !ok {
		t.Fatal("the gitea forge is not a CommentAttacher")
	}
	c, err := fg.UpsertComment(ctx, repo, pr, Marker("example"), Marker("example")+"\nreport")
	if err != nil {
		t.Fatal(err)
	}
	first, second := pngOf(t, color.RGBA{R: 255, A: 255}), pngOf(t, color.RGBA{B: 255, A: 255})
	a1, err := att.ReplaceCommentAttachments(ctx, repo, pr, c.ID, "example-home.png", first)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := att.ReplaceCommentAttachments(ctx, repo, pr, c.ID, "example-home.png", second)
	if err != nil {
		t.Fatal(err)
	}
	var assets []struct {
		ID   int64
		Name string
		Size int64
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/issues/comments/%d/assets", repo, c.ID), &assets)
	if len(assets) != 1 || assets[0].ID != a2.ID || a2.ID == a1.ID || assets[0].Name != "example-home.png" || assets[0].Size != int64(len(second)) {
		t.Fatalf("assets %+v after uploads %+v, %+v", assets, a1, a2)
	}
	if got := download(t, a2.URL); !bytes.Equal(got, second) {
		t.Errorf("%s serves %d bytes, not the %d uploaded", a2.URL, len(got), len(second))
	}
	// No data: nothing to show, nothing kept.
	if a, err := att.ReplaceCommentAttachments(ctx, repo, pr, c.ID, "", nil); err != nil || a.ID != 0 {
		t.Fatalf("removing: %+v, %v", a, err)
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/issues/comments/%d/assets", repo, c.ID), &assets)
	if len(assets) != 0 {
		t.Errorf("assets %+v after removing them", assets)
	}

	outsider := giteaForgeFor(t, g, g.User(t, "outsider-"+repoName, "read:repository", "write:issue", "read:user"))
	oc, err := outsider.UpsertComment(ctx, repo, pr, Marker("example"), Marker("example")+"\nan outsider's report")
	if err != nil {
		t.Fatal(err)
	}
	_, err = outsider.(CommentAttacher).ReplaceCommentAttachments(ctx, repo, pr, oc.ID, "example-home.png", first)
	if !IsDenied(err) || !strings.Contains(err.Error(), "attach example-home.png to comment") {
		t.Errorf("outsider's upload: %v (denied %v)", err, IsDenied(err))
	}
}

// download GETs url (a public repository's attachment needs no token).
func download(t *testing.T, url string) []byte {
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
