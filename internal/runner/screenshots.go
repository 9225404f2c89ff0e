package runner

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// maxScreenshots bounds how many screenshots a stage records: a test
// saving one per loop must not swell results.json.
const maxScreenshots = 50

// mtimeSlack allows for a file system's coarse clock: a file written just
// after the tests started may carry a time a little before it.
const mtimeSlack = time.Second

// savedScreenshots lists the PNG files the recipe's tests saved in
// dir/screenshots (harness Browser.Screenshot) since they started, oldest
// first, as slash-separated paths under rel, the folder's name in the
// output folder. Files older than the tests are an earlier run's (the
// folder is not cleared: see openOut); anything but a regular file (a
// symlink a test planted) is not listed, so that nothing outside the
// folder is ever published as a screenshot. The newest maxScreenshots are
// kept.
func savedScreenshots(dir, rel string, since time.Time) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "screenshots"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type shot struct {
		name string
		at   time.Time
	}
	var shots []shot
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".png") {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().Before(since.Add(-mtimeSlack)) {
			continue
		}
		shots = append(shots, shot{e.Name(), info.ModTime()})
	}
	sort.SliceStable(shots, func(i, j int) bool {
		if !shots[i].at.Equal(shots[j].at) {
			return shots[i].at.Before(shots[j].at)
		}
		return shots[i].name < shots[j].name
	})
	if len(shots) > maxScreenshots {
		shots = shots[len(shots)-maxScreenshots:]
	}
	var out []string
	for _, s := range shots {
		out = append(out, path.Join(rel, "screenshots", s.name))
	}
	return out, nil
}
