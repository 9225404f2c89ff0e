package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cc-ci/recipe-test/v2/internal/facts"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
)

// The recipe's tests announce the credentials they generate through a mask
// file (facts.Facts.MaskFile), not through their output: the app's
// output reaches the tests as data and may end up in what they print, so
// a mask line in the output could be the app's, and it once had the word
// "fail" masked in every report. The file sits in the run's private work
// folder; only recipe-test and the tests (the reviewed enrollment's code,
// through the harness) write it.

// maskFileName is the mask file's name in the work folder.
const maskFileName = "masks"

// minMask is the shortest value the runner takes as a mask of text the
// recipe controls (the mask file's lines, a [secrets] command's output):
// masking a short word would mangle every report.
const minMask = facts.MinMask

// newMaskFile creates the run's mask file, empty and fresh: whatever was
// at its path goes first, and O_EXCL makes sure the file is a regular file
// of ours, never a symlink to somewhere else.
func (r *Run) newMaskFile() (string, error) {
	path := filepath.Join(r.cfg.output.WorkDir, maskFileName)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("mask file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create the run's mask file: %w", err)
	}
	return path, f.Close()
}

// takeMasks registers every value announced in the mask file (one per
// line, none shorter than facts.MinMask) for redaction and (OnSecret) the
// CI log's masking.
func (r *Run) takeMasks(path string) error {
	masks, err := facts.ReadMasks(path)
	if err != nil {
		return fmt.Errorf("read the run's mask file: %w", err)
	}
	for _, v := range masks {
		r.Redact.Add(v)
		if r.cfg.hooks.OnSecret != nil {
			r.cfg.hooks.OnSecret(v)
		}
	}
	return nil
}

// registerURLSecrets masks the credentials a recipe URL carries (given,
// or an enrollment's upstream): the clone needs them, and nothing else may
// show them (reports, logs and, through OnSecret, the CI log). redact
// strips URL credentials from any text; this also catches them quoted
// outside a URL.
func (r *Run) registerURLSecrets(location string) {
	for _, v := range redact.URLSecrets(location) {
		r.Redact.Add(v)
		if r.cfg.hooks.OnSecret != nil {
			r.cfg.hooks.OnSecret(v)
		}
	}
}
