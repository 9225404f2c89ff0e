package testenv

import "testing"

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
