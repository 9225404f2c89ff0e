package recipe

import (
	"strings"
	"testing"
)

func TestParseRule(t *testing.T) {
	for _, tc := range []struct {
		rule, syntax, want string
		compat             bool
	}{
		{"Host(`a.test`)", RuleAuto, "Host(`a.test`)", false},
		{"Host(`a.test`) && PathPrefix(`/x`)", RuleAuto, "(Host(`a.test`) && PathPrefix(`/x`))", false},
		// && binds tighter than ||; ! binds tightest.
		{"Host(`a`) || Host(`b`) && !Path(`/p`)", RuleAuto, "(Host(`a`) || (Host(`b`) && !Path(`/p`)))", false},
		{"!(Host(`a`) || Method(`POST`))", RuleV3, "!(Host(`a`) || Method(`POST`))", false},
		{`host("a.test") && pathprefix("/a\"b")`, RuleAuto, "(Host(`a.test`) && PathPrefix(`/a\"b`))", false},
		{"HOST(`a`)", RuleV3, "Host(`a`)", false},
		{"Header(`X-A`, `1`) && Query(`k`, `v`) && QueryRegexp(`k`, `^v`) && ClientIP(`10.0.0.0/8`)", RuleV3,
			"(((Header(`X-A`, `1`) && Query(`k`, `v`)) && QueryRegexp(`k`, `^v`)) && ClientIP(`10.0.0.0/8`))", false},
		// v2 forms, read in auto mode and noted as v2.
		{"Host(`a`, `b`)", RuleAuto, "Host(`a`, `b`)", true},
		{"HostRegexp(`{sub:[a-z]+}.a.test`)", RuleAuto, "HostRegexp(`{sub:[a-z]+}.a.test`)", true},
		{"Headers(`X-A`, `1`)", RuleAuto, "Headers(`X-A`, `1`)", true},
		{"Query(`k=v`)", RuleAuto, "Query(`k=v`)", true},
		{"Host(`a`, `b`)", RuleV2, "Host(`a`, `b`)", false},
		{"HostRegexp(`^[a-z]{2,3}\\.test$`)", RuleAuto, "HostRegexp(`^[a-z]{2,3}\\.test$`)", false},
	} {
		e, compat, err := ParseRule(tc.rule, tc.syntax)
		if err != nil {
			t.Errorf("ParseRule(%s, %q): %v", tc.rule, tc.syntax, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("ParseRule(%s) = %s, want %s", tc.rule, got, tc.want)
		}
		if (len(compat) > 0) != tc.compat {
			t.Errorf("ParseRule(%s) compat = %v, want some: %v", tc.rule, compat, tc.compat)
		}
	}
}

func TestParseRuleErrors(t *testing.T) {
	for rule, want := range map[string]string{
		"":                           "empty rule",
		"Host(`a`) &":                "want &&",
		"Host(`a`) && ":              "rule ends early",
		"Hots(`a`)":                  "unknown matcher Hots",
		"Host(`a`":                   "want , or )",
		"Host(`a`))":                 `unexpected ")"`,
		"Host(a)":                    "want a string argument",
		"Host(``)":                   "empty argument",
		"Host(`a)":                   "unterminated",
		"Header(`X`)":                "neither rule syntax",
		"Host(`a`) Host(`b`)":        `unexpected "Host"`,
		"(Host(`a`) || Path(`/`)":    "want )",
		"Host(`a`) && PathRegexp(`":  "unterminated",
		"Method(`GET`, `POST`) ? x ": `unexpected '?'`,
	} {
		_, _, err := ParseRule(rule, RuleAuto)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRule(%q) = %v, want an error containing %q", rule, err, want)
		}
	}
	// A router's explicit syntax is applied strictly, as Traefik does.
	for rule, syntax := range map[string]string{
		"Host(`a`, `b`)":        RuleV3,
		"Headers(`X`, `1`)":     RuleV3,
		"PathRegexp(`^/x`)":     RuleV2,
		"Header(`X-A`, `1`)":    RuleV2,
		"QueryRegexp(`k`, `v`)": RuleV2,
	} {
		if _, _, err := ParseRule(rule, syntax); err == nil {
			t.Errorf("ParseRule(%s, %s) was accepted", rule, syntax)
		}
	}
}

func TestIsV2Template(t *testing.T) {
	for s, want := range map[string]bool{
		"{sub}.a.test": true, "/items/{id:[0-9]+}": true, "{_x1}": true,
		"[a-z]{2,3}": false, "/plain": false, "{1}": false, "{": false,
	} {
		if got := IsV2Template(s); got != want {
			t.Errorf("IsV2Template(%q) = %v", s, got)
		}
	}
}

// Any text: no panic, and a rule that parses prints back to one that
// parses to the same thing.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"Host(`a`) && !(Path(`/x`) || Method(`GET`))", `host("a\"b")`, "Host(`a`, `b`)", "((", "!!!Host(`a`)", "Query(`k=v`)", `Host("a` + "`" + `b")`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rule string) {
		e, _, err := ParseRule(rule, RuleAuto)
		if err != nil {
			return
		}
		again, _, err := ParseRule(e.String(), RuleAuto)
		if err != nil || again.String() != e.String() {
			t.Errorf("%q printed as %q, which parses to %v, %v", rule, e.String(), again, err)
		}
	})
}
