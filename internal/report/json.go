package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// JSON writes results.json.
func JSON(w io.Writer, run *results.Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

// ReadJSON loads a saved results.json.
func ReadJSON(path string) (*results.Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var run results.Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("%s: not a results.json: %w", path, err)
	}
	return &run, nil
}
