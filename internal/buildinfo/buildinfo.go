// Package buildinfo says which build of recipe-test is running, so that a
// result can always be traced to the code that produced it.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// ImportPath is the path the linker flag stamps the version through:
//
//	go build -ldflags "-X github.com/cc-ci/recipe-test/v2/internal/buildinfo.version=$(git describe --tags --always --dirty)"
const ImportPath = "github.com/cc-ci/recipe-test/v2/internal/buildinfo"

// version is stamped at link time (see ImportPath); a linker flag can set
// only a string variable, which is why this is not a constant. Nothing
// writes it at run time.
var version string

// Version is the stamped version (git describe's output), else what the Go
// toolchain recorded about the checkout it built from (the commit, with
// "-dirty" for uncommitted changes), else "dev".
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return fromSettings(info.Settings)
}

// fromSettings reads the VCS facts go build records (vcs.revision,
// vcs.modified) the way git describe --always --dirty prints them.
func fromSettings(settings []debug.BuildSetting) string {
	var rev string
	var dirty bool
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if dirty {
		rev += "-dirty"
	}
	return strings.TrimSpace(rev)
}
