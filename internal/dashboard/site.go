package dashboard

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/outdir"
	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// The site's files and folders: Build replaces these and leaves anything
// else in the output folder alone.
const (
	IndexFile    = "index.html"
	RecipesDir   = "recipes"
	BadgesDir    = "badges"
	defaultTitle = "recipe-test dashboard"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").ParseFS(templateFS, "templates/*.html"))

// Options are what the site says besides the runs.
type Options struct {
	Title       string    // the index's heading ("recipe-test dashboard")
	Built       time.Time // when, for the footer
	ToolVersion string    // the recipe-test that built it, for the footer
}

// Summary is what Build wrote.
type Summary struct {
	Recipes, Runs int
}

// Build writes the site into out: index.html, recipes/<slug>.html and
// badges/<slug>.svg for each recipe (see Slug). Every page is rendered
// before out is touched; then what a previous build wrote there is removed,
// so a recipe gone from the history is gone from the site; other files in
// out stay.
func Build(ctx context.Context, out string, loaded *Loaded, opts Options) (Summary, error) {
	recipes := Group(loaded.Entries)
	if len(recipes) == 0 {
		return Summary{}, fmt.Errorf("no run to show: no readable %s in the sources (%d skipped)", ResultsFile, len(loaded.Problems))
	}
	site := siteData{Title: cmp.Or(opts.Title, defaultTitle), ToolVersion: opts.ToolVersion, Built: opts.Built.UTC().Format(dateFormat)}
	sum := Summary{Recipes: len(recipes)}
	index := indexPage{siteData: site, Problems: problemRows(loaded.Problems)}
	var files []siteFile
	for _, r := range recipes {
		if err := ctx.Err(); err != nil {
			return Summary{}, err
		}
		sum.Runs += len(r.Runs)
		index.Rows = append(index.Rows, newRunRow(r.Last(), r))
		page, err := newRecipePage(site, r)
		if err != nil {
			return Summary{}, err
		}
		html, err := render("recipe.html", page)
		if err != nil {
			return Summary{}, fmt.Errorf("page of %s: %w", r.Name, err)
		}
		files = append(files, siteFile{RecipesDir + "/" + r.Slug + ".html", html}, siteFile{BadgesDir + "/" + r.Slug + ".svg", Badge(r.Name, r.Last().Run)})
	}
	index.Runs = sum.Runs
	html, err := render("index.html", index)
	if err != nil {
		return Summary{}, fmt.Errorf("index: %w", err)
	}
	files = append(files, siteFile{IndexFile, html})

	d, err := outdir.Open(out)
	if err != nil {
		return Summary{}, err
	}
	defer d.Close()
	if err := d.Clear(IndexFile, RecipesDir, BadgesDir); err != nil {
		return Summary{}, err
	}
	for _, f := range files {
		if err := d.WriteFile(f.name, f.data, 0o644); err != nil {
			return Summary{}, err
		}
	}
	return sum, nil
}

type siteFile struct {
	name string
	data []byte
}

func render(tmpl string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, tmpl, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

const dateFormat = "2006-01-02 15:04 UTC"

// siteData is what every page shows.
type siteData struct {
	Title, ToolVersion, Built string
}

type indexPage struct {
	siteData
	Rows     []runRow
	Runs     int
	Problems []problemRow
}

type problemRow struct{ Source, Error string }

func problemRows(ps []Problem) []problemRow {
	rows := make([]problemRow, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, problemRow{p.Source, p.Err.Error()})
	}
	slices.SortFunc(rows, func(a, b problemRow) int { return cmp.Compare(a.Source, b.Source) })
	return rows
}

// runRow is one run in a table: the index's row of a recipe's last run, or
// a row of its history.
type runRow struct {
	Name, Slug string
	Runs       int // the recipe's, on the index
	Level      int
	Status     results.Status
	Verdict    string // report.Verdict without the recipe's name
	Release    string
	Date       string
	DateISO    string
	Duration   string
	RunURL     string
}

func newRunRow(e Entry, r *Recipe) runRow {
	run := e.Run
	return runRow{Name: r.Name, Slug: r.Slug, Runs: len(r.Runs), Level: run.Level, Status: run.Status,
		Verdict: shortVerdict(run), Release: run.HeadRelease(),
		Date: run.Started.UTC().Format(dateFormat), DateISO: run.Started.UTC().Format(time.RFC3339),
		Duration: duration(run.DurationS), RunURL: webURL(run.RunURL)}
}

// webURL is u when it is an http(s) address, else "": the row shows no
// link rather than one html/template had to defuse.
func webURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return u
}

// shortVerdict is report.Verdict without the icon and name a table row
// already shows: "L1 of 5: installs; upgrade fails".
func shortVerdict(run *results.Run) string {
	v := report.Verdict(run)
	_, rest, ok := strings.Cut(v, " ") // the icon
	if !ok {
		return v
	}
	if after, ok := strings.CutPrefix(rest, Name(run)+": "); ok {
		return after
	}
	return rest
}

func duration(s float64) string {
	if s <= 0 {
		return ""
	}
	d := time.Duration(s * float64(time.Second))
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

type recipePage struct {
	siteData
	Name, Slug string
	Verdict    string
	Chart      chart
	History    []runRow // newest first
	Report     template.HTML
	Source     string // where the last run's results.json was read
}

func newRecipePage(site siteData, r *Recipe) (recipePage, error) {
	last := r.Last()
	html, err := ReportHTML(last.Run)
	if err != nil {
		return recipePage{}, err
	}
	p := recipePage{siteData: site, Name: r.Name, Slug: r.Slug, Verdict: report.Verdict(last.Run),
		Chart: newChart(r.Runs), Report: html, Source: last.Source}
	for i := len(r.Runs) - 1; i >= 0; i-- {
		p.History = append(p.History, newRunRow(r.Runs[i], r))
	}
	return p, nil
}
