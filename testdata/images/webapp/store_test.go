package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// These tests run in both builds (go test, go test -tags v2): the store and
// the CLI behave the same whatever the storage format.

// run runs the CLI on dataDir and returns its exit status and output.
func run(t *testing.T, dataDir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runCLI(args, dataDir, &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustRun runs the CLI and fails t unless it succeeds; it returns stdout.
func mustRun(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, dataDir, args...)
	if code != 0 {
		t.Fatalf("webapp %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	return out
}

func TestStorePut(t *testing.T) {
	s, err := openStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	created, err := s.create(item{ID: "a", Name: "Alpha", Value: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.create(created); err == nil {
		t.Fatalf("create of an existing item succeeded")
	}
	if _, err := s.put("a", "2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.put("b", "3"); err != nil {
		t.Fatal(err)
	}
	got, err := s.list()
	if err != nil {
		t.Fatal(err)
	}
	want := []item{{ID: "a", Name: "Alpha", Value: "2"}, {ID: "b", Name: "b", Value: "3"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after put: items %+v, want %+v (put keeps the name, names a new item by its ID)", got, want)
	}
	if _, err := s.put("../x", "v"); err == nil {
		t.Fatalf("put with an invalid ID succeeded")
	}
}

func TestStoreListIgnoresOtherFiles(t *testing.T) {
	dataDir := t.TempDir()
	mustRun(t, dataDir, "item", "put", "a", "1")
	dir := filepath.Join(dataDir, storeDirName)
	for _, name := range []string{".tmp-123", "notes.txt", "bad id.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, _ := openStore(dataDir)
	got, err := s.list()
	if err != nil {
		t.Fatal(err)
	}
	if want := []item{{ID: "a", Name: "a", Value: "1"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("items %+v, want %+v", got, want)
	}
}

func TestCLIItem(t *testing.T) {
	dataDir := t.TempDir()
	mustRun(t, dataDir, "item", "put", "marker", "first value")
	if out := mustRun(t, dataDir, "item", "get", "marker"); out != "first value\n" {
		t.Fatalf("item get = %q, want the value and a newline", out)
	}
	mustRun(t, dataDir, "item", "put", "marker", "second")
	if out := mustRun(t, dataDir, "item", "get", "marker"); out != "second\n" {
		t.Fatalf("item get after overwrite = %q", out)
	}
	mustRun(t, dataDir, "item", "rm", "marker")

	code, out, errOut := run(t, dataDir, "item", "get", "marker")
	if code != 1 || out != "" || !strings.Contains(errOut, "item marker not found") {
		t.Fatalf("item get of a removed item: exit %d, stdout %q, stderr %q; want 1 and \"item marker not found\"",
			code, out, errOut)
	}
	if code, _, errOut := run(t, dataDir, "item", "rm", "marker"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("item rm of a missing item: exit %d, stderr %q", code, errOut)
	}
}

func TestCLIUsage(t *testing.T) {
	dataDir := t.TempDir()
	for _, args := range [][]string{
		{"item"},
		{"item", "put", "x"},
		{"item", "get"},
		{"item", "frob", "x"},
		{"dump"},
		{"load", "a", "b"},
	} {
		code, _, errOut := run(t, dataDir, args...)
		if code != 1 || !strings.Contains(errOut, "usage:") {
			t.Errorf("webapp %q: exit %d, stderr %q; want 1 and the usage", args, code, errOut)
		}
	}
	for _, name := range []string{"item", "dump", "load"} {
		if !isCommand(name) {
			t.Errorf("isCommand(%q) = false", name)
		}
	}
	if isCommand("serve") || isCommand("-h") {
		t.Errorf("isCommand accepts what is not a subcommand")
	}
}

func TestCLIDumpLoad(t *testing.T) {
	dataDir := t.TempDir()
	mustRun(t, dataDir, "item", "put", "keep", "k1")
	mustRun(t, dataDir, "item", "put", "extra", "e1")
	dumpDir := t.TempDir()
	file := filepath.Join(dumpDir, "dump.json")
	mustRun(t, dataDir, "dump", file)

	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var dumped []item
	if err := json.Unmarshal(data, &dumped); err != nil {
		t.Fatalf("dump is not a JSON array of items: %v\n%s", err, data)
	}
	want := []item{{ID: "extra", Name: "extra", Value: "e1"}, {ID: "keep", Name: "keep", Value: "k1"}}
	if !reflect.DeepEqual(dumped, want) {
		t.Fatalf("dump holds %+v, want %+v", dumped, want)
	}
	if entries, _ := os.ReadDir(dumpDir); len(entries) != 1 {
		t.Fatalf("dump left %d files in its folder, want only dump.json", len(entries))
	}

	// Change everything, then load the dump back.
	mustRun(t, dataDir, "item", "put", "keep", "changed")
	mustRun(t, dataDir, "item", "rm", "extra")
	mustRun(t, dataDir, "item", "put", "new", "n1")
	mustRun(t, dataDir, "load", file)
	s, _ := openStore(dataDir)
	got, err := s.list()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after load: items %+v, want %+v (changed and removed items back, new ones gone)", got, want)
	}

	// An empty dump empties the store.
	empty := filepath.Join(dumpDir, "empty.json")
	mustRun(t, t.TempDir(), "dump", empty)
	mustRun(t, dataDir, "load", empty)
	if got, _ := s.list(); len(got) != 0 {
		t.Fatalf("after loading an empty dump: items %+v", got)
	}
}

func TestCLILoadRefusesBadDumps(t *testing.T) {
	dataDir := t.TempDir()
	mustRun(t, dataDir, "item", "put", "a", "1")
	for name, content := range map[string]string{
		"null":       "null",
		"object":     `{"id":"a","name":"a","value":"1"}`,
		"unknown":    `[{"id":"a","name":"a","data":"1"}]`,
		"bad-id":     `[{"id":"b","name":"b","value":"2"},{"id":"../a","name":"a","value":"1"}]`,
		"duplicate":  `[{"id":"b","value":"2"},{"id":"b","value":"3"}]`,
		"trailing":   `[] []`,
		"not-json":   `hello`,
		"v2-records": `[{"format":2,"id":"b","name":"b","data":"2"}]`,
	} {
		file := filepath.Join(t.TempDir(), name+".json")
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := run(t, dataDir, "load", file); code != 1 || !strings.Contains(errOut, file) {
			t.Errorf("load of %s: exit %d, stderr %q; want 1 and an error naming the file", name, code, errOut)
		}
	}
	if code, _, _ := run(t, dataDir, "load", filepath.Join(dataDir, "missing.json")); code != 1 {
		t.Errorf("load of a missing file: exit %d, want 1", code)
	}
	s, _ := openStore(dataDir)
	if got, _ := s.list(); !reflect.DeepEqual(got, []item{{ID: "a", Name: "a", Value: "1"}}) {
		t.Fatalf("failed loads changed the store: %+v", got)
	}
}

func TestCLIDumpToMissingFolderFails(t *testing.T) {
	dataDir := t.TempDir()
	code, _, errOut := run(t, dataDir, "dump", filepath.Join(dataDir, "no", "such", "dump.json"))
	if code != 1 || !strings.Contains(errOut, "dump") {
		t.Fatalf("dump into a missing folder: exit %d, stderr %q", code, errOut)
	}
}

func TestInfoReportsFormat(t *testing.T) {
	a, err := newApp(config{dataDir: t.TempDir(), migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.routes().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/info", nil))
	var info struct{ Format int }
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
		t.Fatalf("/api/info: %v\n%s", err, rec.Body)
	}
	if info.Format != storeFormat || (storeFormat != 1 && storeFormat != 2) {
		t.Fatalf("/api/info format = %d, want %d", info.Format, storeFormat)
	}
}

// TestServerAndCLIShareTheStore checks that an item put by the CLI is what
// the HTTP API serves.
func TestServerAndCLIShareTheStore(t *testing.T) {
	dataDir := t.TempDir()
	a, err := newApp(config{dataDir: dataDir, migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, dataDir, "item", "put", "shared", "from the CLI")
	rec := httptest.NewRecorder()
	a.routes().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/items/shared", nil))
	var it item
	if err := json.Unmarshal(rec.Body.Bytes(), &it); err != nil || it.Value != "from the CLI" {
		t.Fatalf("GET /api/items/shared: %d %s (%v)", rec.Code, rec.Body, err)
	}
}
