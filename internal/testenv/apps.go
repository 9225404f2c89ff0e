package testenv

import (
	"context"
	"os"
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
	return builtImage(t, ref, "stand-in image", AppHashLabel, "scripts/build-apps.sh",
		" (a pulled image of that name is not the stand-in this test expects)")
}

// HeavyAppsEnv names the environment variable that, set to 1, makes the
// heavy stand-in images (testdata/apps/apps-heavy.txt: a fresh build takes
// more than about five minutes) part of the run: scripts/build-apps.sh
// builds them, and their tests require them.
const HeavyAppsEnv = "RECIPE_TEST_HEAVY_APPS"

// HeavyAppImage is AppImage for an image of testdata/apps/apps-heavy.txt:
// when it is missing and HeavyAppsEnv is not 1, t is skipped, saying how
// to build it, even when resources are required; otherwise it is AppImage.
func HeavyAppImage(t testing.TB, ref string) string {
	t.Helper()
	if os.Getenv(HeavyAppsEnv) != "1" && !imageExists(ref) {
		t.Skipf("testenv: heavy stand-in image %s not built (testdata/apps/apps-heavy.txt, a build of ten minutes or more): "+
			"run %s=1 scripts/build-apps.sh, and set %s=1 to make its absence a failure", ref, HeavyAppsEnv, HeavyAppsEnv)
	}
	return AppImage(t, ref)
}

// imageExists reports whether the engine has an image ref; an engine that
// does not answer counts as having it, so that AppImage says what failed.
func imageExists(ref string) bool {
	cli, err := connect()
	if err != nil {
		return true
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err = cli.ImageInspect(ctx, ref)
	return !cerrdefs.IsNotFound(err)
}
