//go:build v2

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

// Version 2 (build tag v2) stores format 2 items in DATA_DIR/items2:
// {"format":2,"id","name","data"}. Version 1 cannot read them: it looks in
// DATA_DIR/items, and its decoder refuses the unknown fields "format" and
// "data". On start the server migrates the format 1 items (migrateStore).
const (
	storeFormat  = 2
	storeDirName = "items2"

	// v1DirName is the folder of the format 1 items that migrateStore
	// converts.
	v1DirName = "items"
)

// v2Record is the file of a format 2 item.
type v2Record struct {
	Format int    `json:"format"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Data   string `json:"data"`
}

func encodeItem(it item) ([]byte, error) {
	return encodeV2(it)
}

func decodeItem(data []byte) (item, error) {
	return decodeV2(data)
}

func encodeV2(it item) ([]byte, error) {
	return json.Marshal(v2Record{Format: 2, ID: it.ID, Name: it.Name, Data: it.Value})
}

// decodeV2 reads a format 2 file; a file of another format is an error.
func decodeV2(data []byte) (item, error) {
	var r v2Record
	if err := decodeStrict(data, &r); err != nil {
		return item{}, fmt.Errorf("not a format 2 item: %v", err)
	}
	if r.Format != 2 {
		return item{}, fmt.Errorf("not a format 2 item: \"format\" is %d", r.Format)
	}
	return item{ID: r.ID, Name: r.Name, Value: r.Data}, nil
}

// migrateStore converts every format 1 item, DATA_DIR/items/<id>.json, into
// a format 2 item in DATA_DIR/items2 (replacing any item of that ID there:
// the format 1 file is the one not migrated yet) and removes the old file.
// Other files in items/ are left alone, and items/ is removed only when
// nothing is left in it. A format 1 item that cannot be read stops the
// migration with an error, so no data is dropped silently.
//
// When enabled is false (MIGRATE=off) nothing is migrated: this models a
// buggy release, whose items are then invisible to version 2.
func migrateStore(dataDir string, enabled bool) error {
	oldDir := filepath.Join(dataDir, v1DirName)
	entries, err := os.ReadDir(oldDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("migrate: %v", err)
	}
	var ids, others []string
	for _, e := range entries {
		if id, ok := itemFileID(e); ok {
			ids = append(ids, id)
		} else {
			others = append(others, e.Name())
		}
	}
	if !enabled {
		log.Printf("MIGRATE=off: not migrating the %d format 1 item(s) in %s: version 2 does not see them",
			len(ids), oldDir)
		return nil
	}

	s, err := openStore(dataDir)
	if err != nil {
		return err
	}
	for _, id := range ids {
		oldPath := filepath.Join(oldDir, id+".json")
		data, err := os.ReadFile(oldPath)
		if err != nil {
			return fmt.Errorf("migrate: %v", err)
		}
		it, err := decodeV1(data)
		if err != nil {
			return fmt.Errorf("migrate %s: %v", oldPath, err)
		}
		it.ID = id // the file name is the key the format 1 store used
		if err := s.write(it); err != nil {
			return fmt.Errorf("migrate %s: %v", oldPath, err)
		}
		if err := os.Remove(oldPath); err != nil {
			return fmt.Errorf("migrate: %v", err)
		}
		log.Printf("migrated item %s: %s -> %s", id, oldPath, s.path(id))
	}
	log.Printf("migrated %d item(s) from format 1 (%s) to format 2 (%s)", len(ids), oldDir, s.dir)
	if len(others) > 0 {
		log.Printf("left %d file(s) that are not format 1 items in %s: %s",
			len(others), oldDir, strings.Join(others, ", "))
		return nil
	}
	if err := os.Remove(oldDir); err != nil {
		return fmt.Errorf("migrate: remove the emptied %s: %v", oldDir, err)
	}
	log.Printf("removed the emptied %s", oldDir)
	return nil
}
