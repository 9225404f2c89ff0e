package dashboard

import (
	"fmt"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// Chart geometry, in SVG user units: the plot sits inside the margins,
// the level labels left of it and the first and last date below it.
const (
	chartWidth, chartHeight = 640, 150
	chartLeft, chartRight   = 30, 10
	chartTop, chartBottom   = 10, 24
	chartMaxRuns            = 100 // the newest runs drawn; the table lists them all
)

// The points' colours by the run's result.
var pointColours = map[results.Status]string{results.Pass: "#2da44e", results.Fail: "#cf222e", results.Skip: "#8c959f"}

// chart is a recipe's levels over time, drawn as inline SVG (no script):
// one point per run at its level, coloured by its result, joined by a line.
type chart struct {
	Width, Height int
	Line          string // the polyline's points
	Points        []chartPoint
	Grid          []gridLine
	Left, Right   float64 // the plot's x bounds
	Bottom        float64 // the plot's lowest y
	From, To      string  // the first and last run's dates
}

type chartPoint struct {
	X, Y   float64
	Colour string
	Title  string // what a hover shows: date, level, result
}

type gridLine struct {
	Y     float64
	Label string
}

// newChart places the runs (oldest first) by time: evenly spaced nightly
// runs look even, a gap in the history shows as one.
func newChart(runs []Entry) chart {
	if len(runs) > chartMaxRuns {
		runs = runs[len(runs)-chartMaxRuns:]
	}
	c := chart{Width: chartWidth, Height: chartHeight, Left: chartLeft, Right: chartWidth - chartRight, Bottom: chartHeight - chartBottom}
	plotH := c.Bottom - chartTop
	y := func(level int) float64 { return c.Bottom - plotH*float64(level)/float64(results.MaxLevel) }
	for l := 0; l <= results.MaxLevel; l++ {
		c.Grid = append(c.Grid, gridLine{Y: y(l), Label: fmt.Sprintf("L%d", l)})
	}
	if len(runs) == 0 {
		return c
	}
	first, last := runs[0].Run.Started, runs[len(runs)-1].Run.Started
	c.From, c.To = first.UTC().Format("2006-01-02"), last.UTC().Format("2006-01-02")
	span := last.Sub(first).Seconds()
	var line []string
	for _, e := range runs {
		x := (c.Left + c.Right) / 2
		if span > 0 {
			x = c.Left + (c.Right-c.Left)*e.Run.Started.Sub(first).Seconds()/span
		}
		p := chartPoint{X: x, Y: y(e.Run.Level), Colour: pointColours[e.Run.Status],
			Title: fmt.Sprintf("%s: L%d, %s", e.Run.Started.UTC().Format("2006-01-02 15:04 UTC"), e.Run.Level, e.Run.Status)}
		c.Points = append(c.Points, p)
		line = append(line, fmt.Sprintf("%.1f,%.1f", p.X, p.Y))
	}
	c.Line = strings.Join(line, " ")
	return c
}
