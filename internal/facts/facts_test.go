package facts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// What the runner writes the harness reads back unchanged, in a file only
// its owner may read (it holds the run's secrets).
func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "facts.json")
	in := &Facts{Recipe: "example", Version: "1.0.0+1", Domain: "ex-abc123.test", BaseURL: "http://ex-abc123.test",
		Stack: "ex-abc123_test", Services: map[string]string{"app": "ex-abc123_test_app"},
		ProxyURL: "http://127.0.0.1:4321", Insecure: true, BrowserFlags: []string{"--proxy-server=http://127.0.0.1:4321"},
		Streams: []Stream{{Protocol: "tcp", Service: "app", Port: 7000, Route: "tcp router echo -> app:7000", Addr: "127.0.0.1:5000"}},
		Secrets: map[string]string{"db_password": "s3cr3t"}, Env: map[string]string{"DOMAIN": "ex-abc123.test"},
		Dependencies: map[string]Dependency{"db": {Recipe: "postgres", Domain: "db.test", URL: "http://db.test", Outputs: map[string]string{"user": "app"}}}, Out: "/out/custom",
		ExecTimeoutS: 300, MaxReadFile: 1 << 20, MaskFile: "/work/masks"}
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("facts file mode %v, want 0600", st.Mode().Perm())
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("read back %+v\nwant %+v", got, in)
	}
}

// The JSON names are the contract with tests built against another
// release of recipe-test: they must not change.
func TestJSONNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "facts.json")
	if err := Write(path, &Facts{Domain: "d", BaseURL: "b", ProxyURL: "p", Streams: []Stream{{Protocol: "udp"}},
		Secrets: map[string]string{"s": "v"}, ExecTimeoutS: 1, MaxReadFile: 2, MaskFile: "m", Insecure: true}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"recipe"`, `"domain"`, `"base_url"`, `"stack"`, `"services"`, `"proxy_url"`, `"insecure"`,
		`"streams"`, `"protocol"`, `"service"`, `"port"`, `"route"`, `"addr"`, `"secrets"`, `"out"`,
		`"exec_timeout_s"`, `"max_read_file"`, `"mask_file"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("facts file has no key %s:\n%s", key, data)
		}
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope.json"), "no such file"},
		{"not JSON", write("bad.json", "{"), "bad.json"},
		{"not an object", write("array.json", "[]"), "array.json"},
		{"no domain", write("nodomain.json", `{"base_url":"http://a.test","proxy_url":"http://127.0.0.1:1"}`), "domain, base_url and proxy_url are required"},
		{"no proxy", write("noproxy.json", `{"domain":"a.test","base_url":"http://a.test"}`), "noproxy.json: domain, base_url and proxy_url are required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Read(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read = %+v, %v; want an error with %q", f, err, tc.want)
			}
		})
	}
}

// Masks go in one line each, concurrently without interleaving, and come
// out without the lines too short to mask.
func TestMasks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "masks")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var want []string
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		v := fmt.Sprintf("credential-%02d-%s", i, strings.Repeat("x", 200))
		want = append(want, v)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- AppendMask(path, v)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := AppendMask(path, "fail"); err != nil { // too short to mask: left out
		t.Fatal(err)
	}
	got, err := ReadMasks(path)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("ReadMasks = %q\nwant %q", got, want)
	}
}

func TestAppendMaskErrors(t *testing.T) {
	dir := t.TempDir()
	// The runner creates the mask file: none there is an error, and no
	// file is made.
	missing := filepath.Join(dir, "masks")
	if err := AppendMask(missing, "credential-value-1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("AppendMask to a missing file: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("AppendMask created the mask file: %v", err)
	}
	// One value is one line.
	path := filepath.Join(dir, "masks2")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := AppendMask(path, "credential-value-1\ncredential-value-2"); err == nil {
		t.Error("AppendMask took a value with a line break")
	}
	if _, err := ReadMasks(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadMasks of a missing file: %v", err)
	}
}
