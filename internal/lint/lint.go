// Package lint checks a recipe against Co-op Cloud's conventions, the ones
// operators rely on when they deploy it with abra: tagged, stable images;
// a healthcheck per service, so convergence means something; traefik
// enabled where routers are declared; the version label; release tags
// that are versions, with release notes; a README. It reads the recipe's
// files and its resolved compose model; nothing is deployed or executed.
//
// Each rule is an error (the recipe is not lint clean: L5 fails) or a
// warning (reported, not failing).
package lint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

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
	Skip Status = "skip" // the rule does not apply to this recipe
)

// Rule is one convention.
type Rule struct {
	ID       string
	Severity Severity
	What     string // what the rule wants, one line
	Fix      string // how to satisfy it
	check    func(in *Input) (findings []string, skip string)
}

// Input is what the rules read: the recipe's files and its resolved app.
type Input struct {
	Recipe *recipe.Recipe
	App    *recipe.App

	tags tagList // the repository's tags, read once by the first rule that asks
}

type tagList struct {
	loaded, git bool
	names       []string
	err         error
}

// Result is one rule's outcome on a recipe.
type Result struct {
	Rule     Rule
	Status   Status
	Findings []string // what failed, naming the service, image, tag or file
	Reason   string   // for Skip: why the rule does not apply
}

// Report is every rule's result, in rule order.
type Report struct{ Results []Result }

// Rules are the conventions checked, in order.
func Rules() []Rule { return append([]Rule(nil), rules...) }

var rules = []Rule{
	{ID: "images-tagged", Severity: Error, What: "every service's image names a tag or a digest",
		Fix: "pin each image, e.g. image: nginx:1.27.3", check: imagesTagged},
	{ID: "no-latest", Severity: Error, What: "no image uses the latest tag, which changes under a deployed app",
		Fix: "pin a version tag instead of latest", check: noLatest},
	{ID: "healthchecks", Severity: Warning, What: "every service declares a healthcheck, so a converged deployment is a working one",
		Fix: "add a healthcheck (test, interval, retries, start_period) to each service", check: healthchecks},
	{ID: "traefik-enabled", Severity: Error, What: "a service with traefik routers sets traefik.enable=true (Co-op Cloud's traefik does not expose services by default)",
		Fix: `add "traefik.enable=true" to the service's deploy labels`, check: traefikEnabled},
	{ID: "app-service", Severity: Warning, What: "the main service is called app, as abra's commands expect by default",
		Fix: "name the service that serves the app app", check: appService},
	{ID: "version-label", Severity: Warning, What: "a service carries the coop-cloud.${STACK_NAME}.version label abra records the deployed version with",
		Fix: `add "coop-cloud.${STACK_NAME}.version=<recipe version>+<upstream version>" to the app service's deploy labels`, check: versionLabel},
	{ID: "env-sample", Severity: Error, What: ".env.sample sets TYPE and DOMAIN, which abra reads to create an app",
		Fix: "add TYPE=<recipe name> and DOMAIN=<recipe name>.example.com to .env.sample", check: envSample},
	{ID: "version-tags", Severity: Error, What: "every git tag is a release version, RECIPE.MINOR.PATCH+UPSTREAM",
		Fix: "delete or rename tags that are not versions (abra upgrades by them)", check: versionTags},
	{ID: "releases", Severity: Warning, What: "the recipe has at least one release tag",
		Fix: "tag a release (abra recipe release), so operators can deploy and upgrade a known version", check: releases},
	{ID: "release-notes", Severity: Warning, What: "the newest release has notes in release/<tag>",
		Fix: "write release/<tag> describing what operators must know when upgrading", check: releaseNotes},
	{ID: "readme", Severity: Warning, What: "the recipe has a README.md",
		Fix: "add a README.md with what the app is and how to deploy it", check: readme},
}

// Check runs every rule.
func Check(in *Input) Report {
	var rep Report
	for _, r := range rules {
		findings, skip := r.check(in)
		res := Result{Rule: r, Status: Pass, Findings: findings}
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

// Summary is one line per failed rule: "no-latest: service db: image postgres:latest".
func (r Result) Summary() string {
	return r.Rule.ID + ": " + strings.Join(r.Findings, "; ")
}

// splitImage returns an image reference's tag and digest ("" when absent).
func splitImage(image string) (tag, digest string) {
	name, digest, _ := strings.Cut(image, "@")
	last := name[strings.LastIndexByte(name, '/')+1:]
	if i := strings.LastIndexByte(last, ':'); i >= 0 {
		tag = last[i+1:]
	}
	return tag, digest
}

func eachService(in *Input, f func(s recipe.Service) string) []string {
	var out []string
	for _, s := range in.App.Services {
		if msg := f(s); msg != "" {
			out = append(out, "service "+s.Name+": "+msg)
		}
	}
	return out
}

func imagesTagged(in *Input) ([]string, string) {
	return eachService(in, func(s recipe.Service) string {
		if s.Image == "" {
			return "no image"
		}
		if tag, digest := splitImage(s.Image); tag == "" && digest == "" {
			return "image " + s.Image + " has no tag"
		}
		return ""
	}), ""
}

func noLatest(in *Input) ([]string, string) {
	return eachService(in, func(s recipe.Service) string {
		if tag, digest := splitImage(s.Image); tag == "latest" && digest == "" {
			return "image " + s.Image
		}
		return ""
	}), ""
}

func healthchecks(in *Input) ([]string, string) {
	return eachService(in, func(s recipe.Service) string {
		switch h := s.Healthcheck; {
		case h != nil && (h.Disabled || len(h.Test) > 0 && h.Test[0] == "NONE"):
			return "healthcheck disabled"
		case h == nil || len(h.Test) == 0:
			return "no healthcheck"
		}
		return ""
	}), ""
}

func traefikEnabled(in *Input) ([]string, string) {
	routed := false
	out := eachService(in, func(s recipe.Service) string {
		has := false
		for k := range s.Labels {
			has = has || strings.HasPrefix(k, "traefik.http.routers.")
		}
		if !has {
			return ""
		}
		routed = true
		if v := s.Labels["traefik.enable"]; strings.ToLower(v) != "true" {
			return fmt.Sprintf("declares traefik routers but traefik.enable is %q", v)
		}
		return ""
	})
	if !routed {
		return nil, "no service declares traefik routers"
	}
	return out, ""
}

func appService(in *Input) ([]string, string) {
	if _, ok := in.App.Service("app"); ok {
		return nil, ""
	}
	var names []string
	for _, s := range in.App.Services {
		names = append(names, s.Name)
	}
	return []string{"no service is called app (services: " + strings.Join(names, ", ") + ")"}, ""
}

func versionLabel(in *Input) ([]string, string) {
	if in.App.Version != "" {
		return nil, ""
	}
	return []string{"no service has the label coop-cloud." + in.App.Stack + ".version"}, ""
}

func envSample(in *Input) ([]string, string) {
	var out []string
	for _, name := range []string{"TYPE", "DOMAIN"} {
		if v, ok := in.Recipe.Env.Lookup(name); !ok || strings.TrimSpace(v.Value) == "" {
			out = append(out, ".env.sample: "+name+" is not set")
		}
	}
	return out, ""
}

// tags lists the recipe repository's tags; ok is false for a plain folder.
func tags(in *Input) (names []string, ok bool, err error) {
	t := &in.tags
	if !t.loaded {
		t.names, t.git, t.err = readTags(in.Recipe.Dir)
		t.loaded = true
	}
	return t.names, t.git, t.err
}

func readTags(dir string) (names []string, ok bool, err error) {
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	iter, err := repo.Tags()
	if err != nil {
		return nil, false, err
	}
	err = iter.ForEach(func(r *plumbing.Reference) error {
		names = append(names, r.Name().Short())
		return nil
	})
	sort.Strings(names)
	return names, true, err
}

func versionTags(in *Input) ([]string, string) {
	names, ok, err := tags(in)
	switch {
	case err != nil:
		return []string{"cannot list the tags: " + err.Error()}, ""
	case !ok:
		return nil, "the recipe is a plain folder, not a git repository"
	}
	var out []string
	for _, t := range names {
		if _, err := recipe.ParseVersion(t); err != nil {
			out = append(out, "tag "+t+" is not a version")
		}
	}
	return out, ""
}

func releases(in *Input) ([]string, string) {
	if _, ok, err := tags(in); err == nil && !ok {
		return nil, "the recipe is a plain folder, not a git repository"
	}
	if len(in.Recipe.Versions) == 0 {
		return []string{"no release tag"}, ""
	}
	return nil, ""
}

func releaseNotes(in *Input) ([]string, string) {
	v := in.Recipe.Versions
	if len(v) == 0 {
		return nil, "no release to have notes"
	}
	newest := v[len(v)-1]
	if strings.TrimSpace(newest.Notes) == "" {
		return []string{"release " + newest.Tag + " has no release/" + newest.Tag}, ""
	}
	return nil, ""
}

func readme(in *Input) ([]string, string) {
	if st, err := os.Stat(filepath.Join(in.Recipe.Dir, "README.md")); err == nil && !st.IsDir() {
		return nil, ""
	}
	return []string{"README.md is missing"}, ""
}
