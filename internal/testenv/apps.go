package testenv

import (
	"context"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
)

// AppHashLabel is the label scripts/build-apps.sh puts on each stand-in
// image of a real upstream app: the hash of what it was built from.
const AppHashLabel = "recipe-test.app.hash"

// AppImage checks that the stand-in image ref (the name and tag a recipe's
// compose file uses, e.g. nginx:1.29.1) exists and was built by
// scripts/build-apps.sh, and returns its ID. When it is missing, t is
// skipped, or failed when resources are required.
func AppImage(t testing.TB, ref string) string {
	t.Helper()
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
		unavailable(t, "testenv: stand-in image %s not found: run scripts/build-apps.sh", ref)
		return ""
	case err != nil:
		unavailable(t, "testenv: inspect stand-in image %s at %s: %v", ref, cli.DaemonHost(), err)
		return ""
	}
	if img.Config == nil || img.Config.Labels[AppHashLabel] == "" {
		unavailable(t, "testenv: image %s has no %s label: it was not built by scripts/build-apps.sh "+
			"(a pulled image of that name is not the stand-in this test expects)", ref, AppHashLabel)
		return ""
	}
	return img.ID
}
