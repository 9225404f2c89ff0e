package results

import "testing"

func TestLadder(t *testing.T) {
	stages := func(st ...Stage) *Run { return &Run{Stages: st} }
	for name, tc := range map[string]struct {
		run   *Run
		na    map[int]string
		level int
		rung  int // index of a rung to check
		state RungState
	}{
		"nothing ran":            {stages(), nil, 0, 0, RungUnverified},
		"install failed":         {stages(Stage{Name: "install", Status: Fail}), nil, 0, 0, RungFailed},
		"install only":           {stages(Stage{Name: "install", Status: Pass}), nil, 1, 1, RungUnverified},
		"install of the head":    {&Run{Version: "2.0.0+2", Stages: []Stage{{Name: "install", Status: Pass, Release: "2.0.0+2"}}}, nil, 1, 0, RungPassed},
		"install of the base":    {&Run{Version: "2.0.0+2", Stages: []Stage{{Name: "install", Status: Pass, Release: "1.0.0+1"}}}, nil, 0, 0, RungUnverified},
		"install of a commit":    {&Run{Commit: "0123456789abcdef", Stages: []Stage{{Name: "install", Status: Pass, Release: "commit 0123456789ab"}}}, nil, 1, 0, RungPassed},
		"upgrade skipped":        {stages(Stage{Name: "install", Status: Pass}, Stage{Name: "upgrade", Status: Skip, Reason: "no earlier release"}), nil, 1, 1, RungUnverified},
		"upgrade n/a counts":     {stages(Stage{Name: "install", Status: Pass}), map[int]string{2: "single version"}, 2, 1, RungNotApplicable},
		"backup without restore": {stages(Stage{Name: "install", Status: Pass}, Stage{Name: "upgrade", Status: Pass}, Stage{Name: "backup", Status: Pass}), nil, 2, 2, RungUnverified},
		"restore failed":         {stages(Stage{Name: "install", Status: Pass}, Stage{Name: "upgrade", Status: Pass}, Stage{Name: "backup", Status: Pass}, Stage{Name: "restore", Status: Fail}), nil, 2, 2, RungFailed},
		"gap stops the climb":    {stages(Stage{Name: "install", Status: Pass}, Stage{Name: "backup", Status: Pass}, Stage{Name: "restore", Status: Pass}, Stage{Name: "custom", Status: Pass}), nil, 1, 3, RungPassed},
		"all five": {stages(Stage{Name: "install", Status: Pass}, Stage{Name: "upgrade", Status: Pass}, Stage{Name: "backup", Status: Pass},
			Stage{Name: "restore", Status: Pass}, Stage{Name: "custom", Status: Pass}, Stage{Name: "lint", Status: Pass}), nil, 5, 4, RungPassed},
	} {
		t.Run(name, func(t *testing.T) {
			tc.run.ComputeLadder(tc.na)
			if tc.run.Level != tc.level || tc.run.Ladder[tc.rung].State != tc.state || len(tc.run.Ladder) != MaxLevel {
				t.Errorf("level %d (want %d), rung %d = %+v (want %s)", tc.run.Level, tc.level, tc.rung, tc.run.Ladder[tc.rung], tc.state)
			}
		})
	}
}

// An install that ran the upgrade's base release instead of the ref under
// test does not earn L1, and the rung says why.
func TestLadderInstallOfAnotherRelease(t *testing.T) {
	run := &Run{Version: "2.0.0+2", Stages: []Stage{{Name: "install", Status: Pass, Release: "1.0.0+1"}, {Name: "upgrade", Status: Pass, Release: "2.0.0+2", From: "1.0.0+1"}}}
	run.ComputeLadder(nil)
	if run.Level != 0 || run.Ladder[0].Reason != "install ran release 1.0.0+1, not the ref under test (2.0.0+2)" {
		t.Errorf("level %d, L1 %+v", run.Level, run.Ladder[0])
	}
	if got := (&Run{}).HeadRelease(); got != "the working tree" {
		t.Errorf("head of nothing: %q", got)
	}
}
