package publish

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// DefaultMaxScreenshot bounds the screenshot attached to a comment: a
// full-page capture of a long page can be large, and the comment is read
// on every visit to the pull request.
const DefaultMaxScreenshot = 5 << 20

// pngSignature starts every PNG file.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// screenshot reads the run's screenshot to attach it: a regular PNG file
// inside the output folder (its path comes from results.json, which the
// tested code may have written: through an os.Root, nothing outside the
// folder is read), within the size bound. When it cannot be attached,
// data is nil and the note says why.
func (p *Publisher) screenshot(run *results.Run) (shot report.Screenshot, data []byte) {
	rel := run.Screenshot()
	if rel == "" || p.Dir == "" {
		return shot, nil
	}
	shot.Name = rel
	limit := p.MaxScreenshot
	if limit <= 0 {
		limit = DefaultMaxScreenshot
	}
	data, err := readPNG(p.Dir, rel, limit)
	switch e := err.(type) {
	case nil:
		return shot, data
	case *tooBigError:
		shot.Note = fmt.Sprintf("Not attached: %s, over the %s limit.", mib(e.size), mib(limit))
		p.logf("screenshot %s not attached: %s", rel, shot.Note)
	default:
		shot.Note = "Not attached: it could not be read."
		p.warnf("the screenshot %s is not attached to the comment: %v", rel, err)
	}
	return shot, nil
}

// tooBigError is a screenshot over the size bound.
type tooBigError struct{ size int64 }

func (e *tooBigError) Error() string { return fmt.Sprintf("%d bytes, over the bound", e.size) }

// readPNG reads rel (slash-separated) inside dir: a regular file of at
// most limit bytes that starts as a PNG does.
func readPNG(dir, rel string, limit int64) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", rel)
	}
	if info.Size() > limit {
		return nil, &tooBigError{info.Size()}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", rel, err)
	case int64(len(data)) > limit: // it grew since
		return nil, &tooBigError{int64(len(data))}
	case !bytes.HasPrefix(data, pngSignature):
		return nil, fmt.Errorf("%s is not a PNG image", rel)
	}
	return data, nil
}

// uploadName is the file name the attachment gets: the screenshot's base
// name with only letters, digits, '.', '-' and '_' (as the harness names
// them), ending in .png.
func uploadName(rel string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, path.Base(rel))
	if !strings.HasSuffix(name, ".png") {
		name += ".png"
	}
	return name
}

// artifactsURL is the run's artifacts page on GitHub: the run's URL (the
// target's, else the one results.json names) and "#artifacts"; "" when
// neither is known.
func artifactsURL(targetRunURL, runURL string) string {
	u := targetRunURL
	if u == "" {
		u = runURL
	}
	if u == "" {
		return ""
	}
	u, _, _ = strings.Cut(u, "#")
	return u + "#artifacts"
}

// mib is a size as a reader takes it in: "6.2 MiB", "340 KiB", "900 bytes".
func mib(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
