// Package results is the one results model every output is rendered from:
// results.json, JUnit, the Markdown report, the PR comment and statuses.
package results

import "time"

// Status is the outcome of a stage, a test or a whole run.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Run is the result of one recipe-test run.
type Run struct {
	Status      Status    `json:"status"`
	Recipe      string    `json:"recipe"`
	Location    string    `json:"location,omitempty"`
	Ref         string    `json:"ref,omitempty"`
	Commit      string    `json:"commit,omitempty"`
	Version     string    `json:"version,omitempty"`      // the version label at the ref under test
	BaseVersion string    `json:"base_version,omitempty"` // the release upgraded from
	Domain      string    `json:"domain"`
	Stack       string    `json:"stack"`
	RunID       string    `json:"run_id"`
	Deployer    string    `json:"deployer,omitempty"`
	Ingress     string    `json:"ingress,omitempty"`
	Started     time.Time `json:"started"`
	DurationS   float64   `json:"duration_s"`
	// BudgetWaitS is how long the run waited for its slots of the run
	// budget (run --budget) before it deployed anything; 0 without one.
	BudgetWaitS float64 `json:"budget_wait_s,omitempty"`
	Stages      []Stage `json:"stages"`
	// Residue lists the full names of anything left behind after teardown,
	// as "kind name" (for example "volume abcd-123456_example_test_data"),
	// the dependencies' included.
	Residue []string `json:"residue"`
	// Dependencies are the recipes deployed for this one (recipe.toml's
	// [[requires]]), in the order they were deployed.
	Dependencies []Dependency `json:"dependencies,omitempty"`
	Level        int          `json:"level"`
	Ladder       []Rung       `json:"ladder"`
	// Error is a run-level error that is not a stage's (bad input, no swarm).
	Error string `json:"error,omitempty"`
	// Warnings are things a maintainer should fix for the run to test all
	// it could (a shallow checkout that hid the releases).
	Warnings []string `json:"warnings,omitempty"`
	// Enrollment is the recipe.toml the run followed; "" for the generic
	// floor alone (an unenrolled recipe).
	Enrollment string `json:"enrollment,omitempty"`
	// Grants are the deploy policy grants of the enrollment this run used:
	// host access or names outside the run's namespace a reviewer allowed.
	Grants []Grant `json:"grants,omitempty"`
	// EnrollmentPR is the pull request proposing the enrollment of an
	// unenrolled recipe, when the action opened or updated one.
	EnrollmentPR string `json:"enrollment_pr,omitempty"`
	// RunURL links to the CI run that produced this result, when known.
	RunURL string `json:"run_url,omitempty"`
	// ToolVersion is the recipe-test build that produced this result.
	ToolVersion string `json:"tool_version,omitempty"`
	// Parity compares this recipe's checks with the predecessor's, one row
	// per feature, each with this run's result (from the enrollment).
	Parity []ParityRow `json:"parity,omitempty"`
}

// Dependency is a recipe a run deployed for the recipe under test: its
// install (deploy, readiness, the setup steps that wired it into the app)
// and its teardown, each a stage, and what its teardown left.
type Dependency struct {
	Name    string  `json:"name"` // its key in the dependent's templates
	Recipe  string  `json:"recipe"`
	For     string  `json:"for"` // app or tests
	Of      string  `json:"of"`  // the recipe that requires it
	Version string  `json:"version,omitempty"`
	Commit  string  `json:"commit,omitempty"`
	Domain  string  `json:"domain"`
	Stack   string  `json:"stack"`
	Status  Status  `json:"status"`
	Stages  []Stage `json:"stages"`
	// Residue is what its teardown left (also in the run's Residue).
	Residue []string `json:"residue"`
	Error   string   `json:"error,omitempty"`
}

// Grant is one deploy policy grant a run used, as recipe.toml states it.
type Grant struct {
	Service string `json:"service,omitempty"` // "" for a top-level object
	Key     string `json:"key"`
	Value   string `json:"value,omitempty"`
	Reason  string `json:"reason"`
}

// ParityRow is one feature of a parity table: what is checked, by which
// stage or test, and how it went in this run.
type ParityRow struct {
	Feature string `json:"feature"`
	Check   string `json:"check"` // the stage or test that covers it ("restore", "custom/TestLogin")
	Status  Status `json:"status,omitempty"`
	Note    string `json:"note,omitempty"`
}

// Stage is one lifecycle stage's outcome.
type Stage struct {
	Name      string  `json:"name"`
	Status    Status  `json:"status"`
	DurationS float64 `json:"duration_s"`
	Reason    string  `json:"reason,omitempty"`
	// Note says what a passed stage did that the reader should know
	// (the data check used, what was saved).
	Note string `json:"note,omitempty"`
	// Release is the release the stage ran: what was deployed when it
	// ended (Run.HeadRelease for the ref under test, else a release tag);
	// "" for a stage that deploys nothing (lint, teardown) or never got to.
	Release string `json:"release,omitempty"`
	// From is the release an upgrade started from.
	From string `json:"from,omitempty"`
	// Output is the captured log of the stage (redacted), for excerpts.
	Output string `json:"output,omitempty"`
	// Tests are the stage's own test cases (the custom stage's recipe tests).
	Tests []Test `json:"tests,omitempty"`
	// Screenshots are the PNG files the stage's tests saved of the app
	// (the custom stage's browser tests), as slash-separated paths
	// relative to the output folder, oldest first.
	Screenshots []string `json:"screenshots,omitempty"`
}

// Test is one test case inside a stage.
type Test struct {
	Name      string  `json:"name"`
	Status    Status  `json:"status"`
	DurationS float64 `json:"duration_s"`
	Reason    string  `json:"reason,omitempty"`
	Output    string  `json:"output,omitempty"`
}

// HeadRelease names the ref under test as stages' Release does: its
// version label, else its commit.
func (r *Run) HeadRelease() string { return ReleaseName(r.Version, r.Commit) }

// ReleaseName names a recipe at a ref: its version label, else "commit"
// and the commit's first 12 digits, else "the working tree".
func ReleaseName(version, commit string) string {
	switch {
	case version != "":
		return version
	case commit != "":
		return "commit " + commit[:min(12, len(commit))]
	}
	return "the working tree"
}

// Screenshot is the app's screenshot the report shows: the last one its
// tests saved (the app as they last saw it), relative to the output
// folder; "" when none.
func (r *Run) Screenshot() string {
	for i := len(r.Stages) - 1; i >= 0; i-- {
		if s := r.Stages[i].Screenshots; len(s) > 0 {
			return s[len(s)-1]
		}
	}
	return ""
}

// Stage returns the named stage, if it ran.
func (r *Run) Stage(name string) (*Stage, bool) {
	for i := range r.Stages {
		if r.Stages[i].Name == name {
			return &r.Stages[i], true
		}
	}
	return nil, false
}
