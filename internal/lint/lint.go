// Package lint checks a recipe against Co-op Cloud's conventions: abra's
// own `abra recipe lint` rules R001-R015, with abra's ids and levels, and
// a few of ours that testing upgrades needs (the version label, release
// notes, tags that are not versions, configs changed without a version
// bump). It reads the recipe's files, its git tags and, when it loads, its
// resolved compose model; nothing is deployed or executed, and nothing is
// fetched from the network: a rule that would need it (abra's catalogue,
// the recipe's repository on git.coopcloud.tech) is skipped, saying why.
//
// Each rule is an error (the recipe is not lint clean: L5 fails) or a
// warning (reported, not failing). Rules that read files only run even
// when the compose model does not load, as abra's do; rules that need the
// model are then skipped with the load error as their reason.
package lint

import (
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Severity says whether a failed rule fails the lint.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Status is a rule's outcome.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip" // the rule does not apply, or cannot be checked here
)

// need is what a rule reads. The zero value is the resolved compose model,
// so a rule that says nothing is skipped, not crashed, when it is missing.
type need int

const (
	needModel   need = iota // Input.App: the merged, interpolated compose model
	needRecipe              // Input.Recipe: .env.sample, COMPOSE_FILE, versions
	needFiles               // the recipe folder only
	needNetwork             // a service on the internet: always skipped
)

// Ours marks a rule abra does not have, where abra's id would be.
const Ours = "ours"

// Rule is one convention.
type Rule struct {
	ID       string   // our name, e.g. "images-tagged"
	Abra     string   // abra's id (R001-R015); "" for a rule of ours
	Severity Severity // abra's level for abra's rules
	What     string   // what the rule wants, one line
	Fix      string   // how to satisfy it
	needs    need
	check    func(in *Input) (findings []string, skip string)
}

// Ref is abra's id, or Ours.
func (r Rule) Ref() string {
	if r.Abra != "" {
		return r.Abra
	}
	return Ours
}

// Title is the rule's name with abra's id (or "ours") in front, as the
// report, the stage tests and the CLI show it: "R003 images-tagged".
func (r Rule) Title() string { return r.Ref() + " " + r.ID }

// Input is what the rules read: the recipe's folder, and what of it loaded.
type Input struct {
	// Dir is the recipe's folder; when empty, Recipe.Dir.
	Dir string
	// Recipe is the recipe's own files; nil when they did not load.
	Recipe *recipe.Recipe
	// App is the compose model resolved for a domain; nil when it did not
	// load.
	App *recipe.App
	// Err is why Recipe or App is nil (a *recipe.ConfigError naming the
	// file), shown as the reason of the rules it skips.
	Err error

	tags  tagList   // the repository's tags, read once by the first rule that asks
	files *fileSet  // the recipe's files, read once
	repo  *repoView // the git repository, opened once
}

func (in *Input) dir() string {
	if in.Dir == "" && in.Recipe != nil {
		return in.Recipe.Dir
	}
	return in.Dir
}

// Result is one rule's outcome on a recipe.
type Result struct {
	Rule     Rule
	Status   Status
	Findings []string // what failed, naming the service, image, tag or file
	Reason   string   // for Skip: why the rule was not checked
}

// Report is every rule's result, in rule order.
type Report struct{ Results []Result }

// Rules are the conventions checked, in order: abra's by id, then ours.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// rules is the one list of rules; abra's ids, levels and descriptions
// follow the LintRules of coopcloud.tech/abra/pkg/lint.
var rules = []Rule{
	{ID: "compose-version", Abra: "R001", Severity: Warning, needs: needFiles,
		What: `every compose file declares version "3.8", as abra expects`,
		Fix:  `put version: "3.8" at the top of each compose file`, check: composeVersion},
	{ID: "healthchecks", Abra: "R002", Severity: Warning,
		What: "every service declares a healthcheck, so a converged deployment is a working one",
		Fix:  "add a healthcheck (test, interval, retries, start_period) to each service", check: healthchecks},
	{ID: "images-tagged", Abra: "R003", Severity: Warning,
		What: "every service's image names a tag or a digest",
		Fix:  "pin each image, e.g. image: nginx:1.27.3", check: imagesTagged},
	{ID: "no-latest", Abra: "R004", Severity: Warning,
		What: "no image uses the unstable latest tag, which changes under a deployed app",
		Fix:  "pin a version tag instead of latest", check: noLatest},
	{ID: "semver-image-tags", Abra: "R005", Severity: Warning,
		What: "image tags are semver-like ([v]1, 1.2, 1.2.3, optionally -suffix), so abra can compare and upgrade them",
		Fix:  "use the image's version tag, e.g. 1.27.3 or 17-alpine, not a name or a date", check: semverImageTags},
	{ID: "catalogue-version", Abra: "R006", Severity: Warning, needs: needNetwork,
		What: "the recipe has a version published in the Co-op Cloud catalogue",
		Fix:  "publish a release (abra recipe release) and add the recipe to the catalogue", check: offline("abra reads the recipe catalogue at recipes.coopcloud.tech")},
	{ID: "readme-metadata", Abra: "R007", Severity: Warning, needs: needFiles,
		What: "README.md has its metadata block filled in (Category, Status, Image, Healthcheck, Backups, Email, Tests, SSO)",
		Fix:  "fill in every field between <!-- metadata --> and <!-- endmetadata --> in README.md", check: readmeMetadata},
	{ID: "env-sample", Abra: "R008", Severity: Error, needs: needFiles,
		What: "the recipe provides a .env.sample, which abra copies to create an app",
		Fix:  "add a .env.sample with TYPE, DOMAIN and the app's settings", check: envSamplePresent},
	{ID: "app-service", Abra: "R009", Severity: Error,
		What: "one service is called app, as abra's commands expect by default",
		Fix:  "name the service that serves the app app", check: appService},
	{ID: "traefik-enabled", Abra: "R010", Severity: Error,
		What: "traefik routing is enabled: traefik.enable=true on the routed service (Co-op Cloud's traefik exposes nothing by default)",
		Fix:  `add "traefik.enable=true" to the deploy labels of the service with the routers`, check: traefikEnabled},
	{ID: "image-present", Abra: "R011", Severity: Error, needs: needFiles,
		What: "every service has an image",
		Fix:  "set image: on every service", check: imagePresent},
	{ID: "config-versions", Abra: "R012", Severity: Error, needs: needFiles,
		What: "each config's name carries a version variable that abra.sh exports (vendored config versions)",
		Fix:  "name each config ${STACK_NAME}_<config>_${<CONFIG>_VERSION} and add export <CONFIG>_VERSION=v1 to abra.sh", check: configVersions},
	{ID: "recipe-repo", Abra: "R013", Severity: Warning, needs: needNetwork,
		What: "the recipe's repository exists on git.coopcloud.tech",
		Fix:  "publish the recipe at git.coopcloud.tech/coop-cloud/<recipe>", check: offline("abra looks the repository up on git.coopcloud.tech")},
	{ID: "annotated-tags", Abra: "R014", Severity: Error, needs: needFiles,
		What: "every git tag is annotated, as abra recipe release makes them",
		Fix:  `replace each lightweight tag with an annotated one (git tag -a <tag> -m "<tag>")`, check: annotatedTags},
	{ID: "secret-lengths", Abra: "R015", Severity: Warning, needs: needFiles,
		What: "every secret's name fits swarm's 64 characters under abra's longest stack name (45 characters)",
		Fix:  "shorten the secret's key (or its name:) so <stack>_<secret>_<version> stays within 64 characters", check: secretLengths},

	{ID: "env-type-domain", Severity: Error, needs: needRecipe,
		What: ".env.sample sets TYPE and DOMAIN, which abra reads to create an app",
		Fix:  "add TYPE=<recipe name> and DOMAIN=<recipe name>.example.com to .env.sample", check: envTypeDomain},
	{ID: "version-label", Severity: Warning,
		What: "a service carries the coop-cloud.${STACK_NAME}.version label abra records the deployed version with",
		Fix:  `add "coop-cloud.${STACK_NAME}.version=<recipe version>+<upstream version>" to the app service's deploy labels`, check: versionLabel},
	{ID: "version-tags", Severity: Error, needs: needFiles,
		What: "every git tag is a release version, RECIPE.MINOR.PATCH+UPSTREAM",
		Fix:  "delete or rename tags that are not versions (abra upgrades by them)", check: versionTags},
	{ID: "releases", Severity: Warning, needs: needFiles,
		What: "the recipe has at least one release tag",
		Fix:  "tag a release (abra recipe release), so operators can deploy and upgrade a known version", check: releases},
	{ID: "release-notes", Severity: Warning, needs: needFiles,
		What: "the newest release has notes in release/<tag>",
		Fix:  "write release/<tag> describing what operators must know when upgrading", check: releaseNotes},
	{ID: "traefik-labels", Severity: Warning,
		What: "every traefik label does what it says: Traefik v2/v3 labels, rules it parses, ports that are numbers, services and middlewares that exist",
		Fix:  "correct or remove the label named; a router or middleware of Traefik's file or internal provider cannot be tested here", check: traefikLabels},
	{ID: "config-bumps", Severity: Error, needs: needFiles,
		What: "a config or secret file changed since the previous release has its version bumped (swarm cannot update a config in place)",
		Fix:  "bump the version the config's name carries (export X_VERSION=v2 in abra.sh) whenever its file changes", check: configBumps},
}

// Check runs every rule.
func Check(in *Input) Report {
	var rep Report
	for _, r := range rules {
		res := Result{Rule: r, Status: Pass}
		if why := in.missing(r.needs); why != "" {
			res.Status, res.Reason = Skip, why
			rep.Results = append(rep.Results, res)
			continue
		}
		findings, skip := r.check(in)
		res.Findings = findings
		switch {
		case skip != "":
			res.Status, res.Reason = Skip, skip
		case len(findings) > 0:
			res.Status = Fail
		}
		rep.Results = append(rep.Results, res)
	}
	return rep
}

// missing says why a rule needing n cannot run on in; "" when it can.
func (in *Input) missing(n need) string {
	why := "did not load"
	if in.Err != nil {
		why = "did not load: " + in.Err.Error()
	}
	switch {
	case n == needModel && in.App == nil:
		return "the compose model " + why
	case n == needRecipe && in.Recipe == nil:
		return "the recipe " + why
	}
	return ""
}

// offline is the check of a rule that needs a service on the internet:
// lint never queries one, so the rule is skipped, naming it.
func offline(what string) func(*Input) ([]string, string) {
	return func(*Input) ([]string, string) {
		return nil, "needs the network, which lint does not use (" + what + "): not checked"
	}
}

// Failed returns the failed rules of a severity.
func (r Report) Failed(s Severity) []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status == Fail && res.Rule.Severity == s {
			out = append(out, res)
		}
	}
	return out
}

// Summary is one line per failed rule: "R004 no-latest: service db: image postgres:latest".
func (r Result) Summary() string {
	return r.Rule.Title() + ": " + strings.Join(r.Findings, "; ")
}
