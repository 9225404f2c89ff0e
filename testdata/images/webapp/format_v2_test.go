//go:build v2

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// writeV1 writes files (name -> content) into DATA_DIR/items, as version 1
// left them.
func writeV1(t *testing.T, dataDir string, files map[string]string) {
	t.Helper()
	dir := filepath.Join(dataDir, "items")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// names lists the entries of dir, sorted; nil when dir does not exist.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func listItems(t *testing.T, dataDir string) []item {
	t.Helper()
	s, err := openStore(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	items, err := s.list()
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestV2FileFormat(t *testing.T) {
	dataDir := t.TempDir()
	mustRun(t, dataDir, "item", "put", "a", "one")
	data, err := os.ReadFile(filepath.Join(dataDir, "items2", "a.json"))
	if err != nil {
		t.Fatalf("version 2 does not store item a as items2/a.json: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"format": float64(2), "id": "a", "name": "a", "data": "one"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("items2/a.json = %s, want %v", data, want)
	}
	if names(t, filepath.Join(dataDir, "items")) != nil {
		t.Fatalf("version 2 created items/")
	}
	// Neither format reads the other.
	if _, err := decodeV1(data); err == nil {
		t.Fatalf("the format 1 decoder read a format 2 item")
	}
	if _, err := decodeV2([]byte(`{"id":"a","name":"a","value":"one"}`)); err == nil {
		t.Fatalf("the format 2 decoder read a format 1 item")
	}
	if _, err := decodeV2([]byte(`{"format":3,"id":"a","name":"a","data":"one"}`)); err == nil {
		t.Fatalf("the format 2 decoder read a format 3 item")
	}
}

func TestMigrate(t *testing.T) {
	dataDir := t.TempDir()
	writeV1(t, dataDir, map[string]string{
		"a.json": `{"id":"a","name":"Alpha","value":"one"}`,
		"b.json": `{"id":"b","name":"b","value":"two"}`,
	})
	// An item of the same ID already in items2 is replaced by the format 1
	// one, which is the one not migrated yet.
	mustRun(t, dataDir, "item", "put", "b", "stale")

	if _, err := newApp(config{dataDir: dataDir, migrate: true}); err != nil {
		t.Fatalf("server start: %v", err)
	}
	want := []item{{ID: "a", Name: "Alpha", Value: "one"}, {ID: "b", Name: "b", Value: "two"}}
	if got := listItems(t, dataDir); !reflect.DeepEqual(got, want) {
		t.Fatalf("after migration: items %+v, want %+v", got, want)
	}
	if got := names(t, filepath.Join(dataDir, "items2")); !reflect.DeepEqual(got, []string{"a.json", "b.json"}) {
		t.Fatalf("items2/ holds %q", got)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "items")); !os.IsNotExist(err) {
		t.Fatalf("the emptied items/ was not removed (%v)", err)
	}
	if out := mustRun(t, dataDir, "item", "get", "a"); out != "one\n" {
		t.Fatalf("CLI after migration: item get a = %q", out)
	}

	// A second start has nothing to migrate and changes nothing.
	if _, err := newApp(config{dataDir: dataDir, migrate: true}); err != nil {
		t.Fatalf("second server start: %v", err)
	}
	if got := listItems(t, dataDir); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a second start: items %+v, want %+v", got, want)
	}
}

func TestMigrateLeavesUnknownFiles(t *testing.T) {
	dataDir := t.TempDir()
	writeV1(t, dataDir, map[string]string{
		"a.json":    `{"id":"a","name":"a","value":"one"}`,
		"README":    "not an item",
		".tmp-1234": "half written",
	})
	if _, err := newApp(config{dataDir: dataDir, migrate: true}); err != nil {
		t.Fatalf("server start: %v", err)
	}
	if got := listItems(t, dataDir); !reflect.DeepEqual(got, []item{{ID: "a", Name: "a", Value: "one"}}) {
		t.Fatalf("after migration: items %+v", got)
	}
	if got := names(t, filepath.Join(dataDir, "items")); !reflect.DeepEqual(got, []string{".tmp-1234", "README"}) {
		t.Fatalf("items/ holds %q, want the unknown files only", got)
	}
}

func TestMigrateOff(t *testing.T) {
	dataDir := t.TempDir()
	v1 := `{"id":"a","name":"a","value":"one"}`
	writeV1(t, dataDir, map[string]string{"a.json": v1})
	t.Setenv("MIGRATE", "off")
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.dataDir = dataDir
	if _, err := newApp(cfg); err != nil {
		t.Fatalf("server start: %v", err)
	}
	if got := listItems(t, dataDir); len(got) != 0 {
		t.Fatalf("MIGRATE=off: version 2 sees items %+v, want none", got)
	}
	if code, _, errOut := run(t, dataDir, "item", "get", "a"); code != 1 || !strings.Contains(errOut, "item a not found") {
		t.Fatalf("MIGRATE=off: item get a: exit %d, stderr %q; want not found", code, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dataDir, "items", "a.json"))
	if err != nil || string(data) != v1 {
		t.Fatalf("MIGRATE=off changed items/a.json: %q (%v)", data, err)
	}
}

func TestMigrateConfig(t *testing.T) {
	for value, want := range map[string]bool{"": true, "on": true, "off": false} {
		t.Setenv("MIGRATE", value)
		cfg, err := loadConfig()
		if err != nil || cfg.migrate != want {
			t.Errorf("MIGRATE=%q: migrate %v (%v), want %v", value, cfg.migrate, err, want)
		}
	}
	t.Setenv("MIGRATE", "yes")
	if _, err := loadConfig(); err == nil {
		t.Errorf("MIGRATE=yes accepted")
	}
}

func TestMigrateStopsOnUnreadableItem(t *testing.T) {
	dataDir := t.TempDir()
	writeV1(t, dataDir, map[string]string{"a.json": `{"id":"a",`})
	_, err := newApp(config{dataDir: dataDir, migrate: true})
	if err == nil || !strings.Contains(err.Error(), "a.json") {
		t.Fatalf("server start with an unreadable format 1 item: %v; want an error naming it", err)
	}
	if got := names(t, filepath.Join(dataDir, "items")); !reflect.DeepEqual(got, []string{"a.json"}) {
		t.Fatalf("items/ holds %q after a failed migration, want a.json kept", got)
	}
}
