//go:build !v2

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestV1FileFormat(t *testing.T) {
	dataDir := t.TempDir()
	mustRun(t, dataDir, "item", "put", "a", "one")
	data, err := os.ReadFile(filepath.Join(dataDir, "items", "a.json"))
	if err != nil {
		t.Fatalf("version 1 does not store item a as items/a.json: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"id": "a", "name": "a", "value": "one"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("items/a.json = %s, want %v", data, want)
	}
	if storeFormat != 1 {
		t.Fatalf("storeFormat = %d, want 1", storeFormat)
	}
}

func TestV1RefusesV2Items(t *testing.T) {
	dataDir := t.TempDir()
	dir := filepath.Join(dataDir, "items")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	v2 := `{"format":2,"id":"a","name":"a","data":"one"}`
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, dataDir, "item", "get", "a"); code != 1 {
		t.Fatalf("version 1 read a format 2 item: exit %d, stdout %q", code, out)
	}
}
