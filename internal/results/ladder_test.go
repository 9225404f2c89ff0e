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
