package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/docker/cli/cli/compose/loader"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// The recipe's files as they are on disk, read without interpolating or
// merging anything, so that the rules reading them run even when the
// compose model does not load (abra lints such a recipe too).

// fileSet is what file-level rules read.
type fileSet struct {
	compose []composeDoc
	env     map[string]string // .env.sample's assignments; nil when missing or unparsable
	envErr  error             // why env is nil; fs.ErrNotExist when there is no .env.sample
	abraSh  *recipe.AbraSh    // nil when there is no abra.sh
}

// composeDoc is one compose file as parsed YAML.
type composeDoc struct {
	name string         // relative to the recipe
	doc  map[string]any // nil when err
	err  error
}

// fileSet reads the recipe's files, once per check.
func (in *Input) fileSet() *fileSet {
	if in.files != nil {
		return in.files
	}
	dir := in.dir()
	f := &fileSet{}
	if data, err := os.ReadFile(filepath.Join(dir, ".env.sample")); err != nil {
		f.envErr = err
	} else if env, err := recipe.ParseEnv(".env.sample", data); err != nil {
		f.envErr = err
	} else {
		f.env = env.Map()
	}
	if data, err := os.ReadFile(filepath.Join(dir, "abra.sh")); err == nil {
		f.abraSh, _ = recipe.ParseAbraSh("abra.sh", data)
	}
	for _, name := range composeNames(dir, in.Recipe) {
		d := composeDoc{name: name}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			d.doc, err = loader.ParseYAML(data)
		}
		d.err = err
		f.compose = append(f.compose, d)
	}
	in.files = f
	return f
}

// composeNames lists every compose file of the recipe: those COMPOSE_FILE
// names and every compose*.yml beside them, compose.yml first. Overlays
// that are off by default count: an operator may turn any of them on.
func composeNames(dir string, r *recipe.Recipe) []string {
	seen := map[string]bool{}
	var names []string
	if r != nil {
		for _, f := range r.ComposeFiles {
			seen[f] = true
		}
	}
	for _, pat := range []string{"compose*.yml", "compose*.yaml"} {
		found, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range found {
			seen[filepath.Base(p)] = true
		}
	}
	for n := range seen {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "compose.yml") != (names[j] == "compose.yml") {
			return names[i] == "compose.yml"
		}
		return names[i] < names[j]
	})
	return names
}

// vars is the env a compose name is interpolated with: .env.sample, then
// abra.sh's exports, as abra deploys.
func (f *fileSet) vars() map[string]string {
	env := maps.Clone(f.env)
	if env == nil {
		env = map[string]string{}
	}
	if f.abraSh != nil {
		maps.Copy(env, f.abraSh.Exports)
	}
	return env
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// composeObject is a top-level secret or config as one compose file declares it.
type composeObject struct {
	file, key string
	name      string // the name: template, uninterpolated; "" when unset
	path      string // the file: it is made from, relative to the recipe; "" when none
	external  bool
}

// objects lists the top-level secrets or configs of every compose file,
// by file then key.
func (f *fileSet) objects(kind string) []composeObject {
	var out []composeObject
	for _, d := range f.compose {
		sec := mapOf(d.doc[kind])
		for _, k := range slices.Sorted(maps.Keys(sec)) {
			m := mapOf(sec[k])
			o := composeObject{file: d.name, key: k}
			o.name, _ = m["name"].(string)
			o.path, _ = m["file"].(string)
			switch ext := m["external"].(type) {
			case bool:
				o.external = ext
			case map[string]any:
				o.external = true
			}
			out = append(out, o)
		}
	}
	return out
}

// varRe matches ${NAME}, ${NAME:-default} (and the other operators) and $NAME.
var varRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// ref is a variable a name uses, with its ${X:-default} default.
type ref struct{ name, def string }

func varsIn(tmpl string) []ref {
	var out []ref
	for _, m := range varRe.FindAllStringSubmatch(tmpl, -1) {
		r := ref{name: m[1] + m[4]}
		if strings.HasSuffix(m[2], "-") {
			r.def = m[3]
		}
		out = append(out, r)
	}
	return out
}

// versionVars are the variables of a name that version it (X_VERSION).
func versionVars(tmpl string) []ref {
	var out []ref
	for _, r := range varsIn(tmpl) {
		if strings.HasSuffix(r.name, "_VERSION") {
			out = append(out, r)
		}
	}
	return out
}

// expand interpolates a name as compose does for the operators recipes
// use: a variable's value, else its default.
func expand(tmpl string, env map[string]string) string {
	return varRe.ReplaceAllStringFunc(tmpl, func(s string) string {
		r := varsIn(s)[0]
		if v, ok := env[r.name]; ok && v != "" {
			return v
		}
		return r.def
	})
}

func composeVersion(in *Input) ([]string, string) {
	f := in.fileSet()
	if len(f.compose) == 0 {
		return []string{"no compose file (compose.yml)"}, ""
	}
	var out []string
	for _, d := range f.compose {
		switch v, ok := d.doc["version"]; {
		case d.err != nil:
			out = append(out, d.name+": cannot be read: "+d.err.Error())
		case !ok:
			out = append(out, d.name+": no version")
		case fmt.Sprint(v) != "3.8":
			out = append(out, fmt.Sprintf("%s: version is %q", d.name, fmt.Sprint(v)))
		}
	}
	return out, ""
}

func envSamplePresent(in *Input) ([]string, string) {
	if err := in.fileSet().envErr; errors.Is(err, fs.ErrNotExist) {
		return []string{".env.sample is missing"}, ""
	}
	return nil, ""
}

func envTypeDomain(in *Input) ([]string, string) {
	f := in.fileSet()
	switch {
	case errors.Is(f.envErr, fs.ErrNotExist):
		return nil, "there is no .env.sample (R008)"
	case f.envErr != nil:
		return []string{".env.sample cannot be read: " + f.envErr.Error()}, ""
	}
	var out []string
	for _, name := range []string{"TYPE", "DOMAIN"} {
		if strings.TrimSpace(f.env[name]) == "" {
			out = append(out, ".env.sample: "+name+" is not set")
		}
	}
	return out, ""
}

// imagePresent merges services by name over every compose file: an
// overlay that adds settings to a service need not repeat its image.
func imagePresent(in *Input) ([]string, string) {
	has := map[string]bool{}
	for _, d := range in.fileSet().compose {
		for name, s := range mapOf(d.doc["services"]) {
			img, _ := mapOf(s)["image"].(string)
			has[name] = has[name] || strings.TrimSpace(img) != ""
		}
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(has)) {
		if !has[name] {
			out = append(out, "service "+name+": no image")
		}
	}
	return out, ""
}

// configVersions wants every config's name versioned by a variable that
// abra.sh exports: swarm cannot change a config in place, so a changed
// file must get a new name, and abra.sh is part of the recipe (a version
// in .env.sample stays behind in every existing app's env file).
func configVersions(in *Input) ([]string, string) {
	f := in.fileSet()
	var out []string
	n := 0
	for _, o := range f.objects("configs") {
		if o.external {
			continue
		}
		n++
		at := o.file + ": config " + o.key + ": "
		vv := versionVars(o.name)
		switch {
		case o.name == "":
			out = append(out, at+"no name: a changed file cannot be deployed under the same name; name it ${STACK_NAME}_"+o.key+"_${"+strings.ToUpper(o.key)+"_VERSION}")
			continue
		case len(vv) == 0:
			out = append(out, fmt.Sprintf("%sname %q carries no version variable (X_VERSION)", at, o.name))
			continue
		}
		for _, v := range vv {
			switch _, ok := exportOf(f.abraSh, v.name); {
			case f.abraSh == nil:
				out = append(out, at+v.name+" is not vendored: there is no abra.sh")
			case !ok:
				out = append(out, at+v.name+" is not exported by abra.sh")
			}
		}
	}
	if n == 0 {
		return nil, "no compose file defines a config"
	}
	return out, ""
}

func exportOf(a *recipe.AbraSh, name string) (string, bool) {
	if a == nil {
		return "", false
	}
	v, ok := a.Exports[name]
	return v, ok
}

const (
	// abraMaxStack is the longest stack name abra gives an app
	// (MAX_SANITISED_APP_NAME_LENGTH): an operator's domain, not our
	// short run domains, decides how long a deployed secret's name is.
	abraMaxStack = 45
	// maxObjectName is swarm's limit on a secret's or config's name.
	maxObjectName = 64
)

// secretLengths computes each secret's name as abra would deploy it for an
// app with the longest stack name: its name: interpolated (or abra's
// <stack>_<secret>_<version>), with the version .env.sample sets.
func secretLengths(in *Input) ([]string, string) {
	f := in.fileSet()
	env := f.vars()
	env["STACK_NAME"] = "<stack>"
	var out []string
	seen := map[string]bool{}
	n := 0
	for _, o := range f.objects("secrets") {
		n++
		tmpl := o.name
		if tmpl == "" && o.external {
			continue // named by its key alone, whatever the stack
		}
		if tmpl == "" {
			tmpl = "${STACK_NAME}_" + o.key
		}
		name := expand(tmpl, env)
		length := len(name) + strings.Count(name, "<stack>")*(abraMaxStack-len("<stack>"))
		if length > maxObjectName && !seen[o.key+" "+name] {
			seen[o.key+" "+name] = true
			out = append(out, fmt.Sprintf("%s: secret %s: %s is %d characters with a %d-character stack name (swarm allows %d)",
				o.file, o.key, name, length, abraMaxStack, maxObjectName))
		}
	}
	if n == 0 {
		return nil, "no compose file defines a secret"
	}
	return out, ""
}

// metadataFields are the README metadata abra reads (its recipe catalogue
// shows them).
var metadataFields = []string{"Category", "Status", "Image", "Healthcheck", "Backups", "Email", "Tests", "SSO"}

var metadataLineRe = regexp.MustCompile(`^\s*[*-]\s*\*\*([^*]+)\*\*\s*:?(.*)$`)

func readmeMetadata(in *Input) ([]string, string) {
	data, err := os.ReadFile(filepath.Join(in.dir(), "README.md"))
	if err != nil {
		return []string{"README.md is missing"}, ""
	}
	text := string(data)
	start := strings.Index(text, "<!-- metadata -->")
	end := strings.Index(text, "<!-- endmetadata -->")
	if start < 0 || end < start {
		return []string{"README.md has no <!-- metadata --> ... <!-- endmetadata --> block"}, ""
	}
	got := map[string]string{}
	for _, line := range strings.Split(text[start:end], "\n") {
		if m := metadataLineRe.FindStringSubmatch(line); m != nil {
			key := strings.TrimSuffix(strings.TrimSpace(m[1]), ":") // **Category:** or **Category**:
			got[key] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m[2]), ":"))
		}
	}
	var missing, empty []string
	for _, k := range metadataFields {
		switch v, ok := got[k]; {
		case !ok:
			missing = append(missing, k)
		case v == "" || v == "?":
			empty = append(empty, k)
		}
	}
	var out []string
	if len(empty) > 0 {
		out = append(out, "README.md metadata left empty: "+strings.Join(empty, ", "))
	}
	if len(missing) > 0 {
		out = append(out, "README.md metadata lacks: "+strings.Join(missing, ", "))
	}
	return out, ""
}
