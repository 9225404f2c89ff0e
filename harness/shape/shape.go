// Package shape checks an app's documented answers, recorded as fixtures,
// against the Go types a recipe's tests decode the app's answers into: a
// field the tests read under a name the document does not have fails
// there, with its path, instead of reading as a zero value against the
// app. It needs no app, so a suite's parsing is proven where the app's
// image cannot run.
package shape

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Missing returns an error naming the first field that a value of typ
// reads (by its JSON name, in nested structs and in slices and arrays of
// them too) and doc, a decoded JSON document (any from json.Unmarshal),
// lacks, or where doc is not an object or array where typ wants one.
// Fields tagged omitempty may be absent. Paths read like "$.a.b[0].c".
func Missing(doc any, typ reflect.Type) error {
	return missing(doc, typ, "$")
}

func missing(doc any, typ reflect.Type, at string) error {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Struct:
		obj, ok := doc.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an object for %s", at, doc, typ)
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				if err := missing(doc, f.Type, at); err != nil {
					return err
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			v, ok := obj[name]
			if !ok {
				if slices.Contains(strings.Split(opts, ","), "omitempty") {
					continue
				}
				return fmt.Errorf("%s.%s is missing: %s.%s reads it", at, name, typ, f.Name)
			}
			if err := missing(v, f.Type, at+"."+name); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		items, ok := doc.([]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an array for %s", at, doc, typ)
		}
		for i, v := range items {
			if err := missing(v, typ.Elem(), fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Decode checks that the JSON document data has every field out's type
// reads (Missing), then decodes it into out (a pointer).
func Decode(data []byte, out any) error {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	if err := Missing(doc, reflect.TypeOf(out)); err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// Fixture reads the documented answer name from fsys (a recipe's embedded
// testdata, so that its precompiled test binary carries it) and decodes it
// with Decode, failing t with the file's name.
func Fixture(t testing.TB, fsys fs.FS, name string, out any) {
	t.Helper()
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("shape: %v", err)
	}
	if err := Decode(data, out); err != nil {
		t.Fatalf("shape: %s: %v", name, err)
	}
}
