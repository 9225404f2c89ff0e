package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromSettings(t *testing.T) {
	for name, tc := range map[string]struct {
		settings []debug.BuildSetting
		want     string
	}{
		"no vcs facts": {nil, "dev"},
		"clean":        {[]debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "false"}}, "0123456"},
		"dirty":        {[]debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "true"}}, "0123456-dirty"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := fromSettings(tc.settings); got != tc.want {
				t.Errorf("fromSettings = %q, want %q", got, tc.want)
			}
		})
	}
}
