package janitor

import (
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
)

func TestSuffixMatcher(t *testing.T) {
	long := "runners.of.a.rather.long.domain.suffix.example.test"
	cut := naming.StackName("exam-1a2b3c." + long)
	for _, tc := range []struct {
		suffix, stack string
		want          bool
	}{
		{"ci.example.test", "exam-1a2b3c_ci_example_test", true},
		{".CI.example.test.", "exam-1a2b3c_ci_example_test", true},
		{"ci.example.test", "exam-1a2b3c_other_example_test", false},
		{"ci.example.test", "exam-1a2b3c_ci_example_test_x", false},
		{"example.test", "exam-1a2b3c_ci_example_test", false},
		{"", "exam-1a2b3c_recipe-test_test", true},
		{long, cut, true},
		{"ci.example.test", "noseparator", false},
	} {
		if got := SuffixMatcher(tc.suffix)(tc.stack); got != tc.want {
			t.Errorf("SuffixMatcher(%q)(%q) = %v, want %v", tc.suffix, tc.stack, got, tc.want)
		}
	}
}
