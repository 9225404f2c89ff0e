package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

var (
	errNotFound = errors.New("item not found")
	errExists   = errors.New("item already exists")
	errBadID    = errors.New(`invalid "id": use 1-64 letters, digits, "-" or "_"`)
	validID     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// store keeps each item as DATA_DIR/<storeDirName>/<id>.json, so the data
// lives on the volume mounted at DATA_DIR and survives redeploys, backups and
// restores. The folder and the file format depend on the build: "items" and
// format 1 by default, "items2" and format 2 with the build tag v2 (see
// format_v1.go and format_v2.go). The server and the CLI of one binary share
// the store; every write is a rename, so readers never see half a file.
type store struct {
	mu  sync.Mutex
	dir string
}

func openStore(dataDir string) (*store, error) {
	dir := filepath.Join(dataDir, storeDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("DATA_DIR: %v", err)
	}
	return &store{dir: dir}, nil
}

func (s *store) path(id string) string { return filepath.Join(s.dir, id+".json") }

// write stores it under its ID, replacing any item of that ID.
func (s *store) write(it item) error {
	data, err := encodeItem(it)
	if err != nil {
		return fmt.Errorf("item %s: %v", it.ID, err)
	}
	return writeFileAtomic(s.path(it.ID), data)
}

// create stores a new item; an empty ID gets a random one.
func (s *store) create(it item) (item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.ID == "" {
		b := make([]byte, 8)
		rand.Read(b)
		it.ID = hex.EncodeToString(b)
	} else if !validID.MatchString(it.ID) {
		return item{}, errBadID
	}
	if _, err := os.Stat(s.path(it.ID)); err == nil {
		return item{}, fmt.Errorf("%w: %s", errExists, it.ID)
	}
	if err := s.write(it); err != nil {
		return item{}, err
	}
	return it, nil
}

// put sets the value of item id, creating it (named id) when missing; an
// existing item keeps its name.
func (s *store) put(id, value string) (item, error) {
	if !validID.MatchString(id) {
		return item{}, errBadID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.get(id)
	switch {
	case errors.Is(err, errNotFound):
		it = item{ID: id, Name: id}
	case err != nil:
		return item{}, err
	}
	it.Value = value
	if err := s.write(it); err != nil {
		return item{}, err
	}
	return it, nil
}

func (s *store) get(id string) (item, error) {
	if !validID.MatchString(id) {
		return item{}, errBadID
	}
	data, err := os.ReadFile(s.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return item{}, errNotFound
	} else if err != nil {
		return item{}, err
	}
	it, err := decodeItem(data)
	if err != nil {
		return item{}, fmt.Errorf("item %s: %v", id, err)
	}
	return it, nil
}

func (s *store) remove(id string) error {
	if !validID.MatchString(id) {
		return errBadID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return errNotFound
	}
	return err
}

// ids returns the IDs of the items in the store, sorted. Files that are not
// <id>.json are not items and are ignored.
func (s *store) ids() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if id, ok := itemFileID(e); ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// list returns every item, sorted by id; never nil, so it encodes as [].
func (s *store) list() ([]item, error) {
	ids, err := s.ids()
	if err != nil {
		return nil, err
	}
	items := []item{}
	for _, id := range ids {
		it, err := s.get(id)
		if errors.Is(err, errNotFound) {
			continue // removed meanwhile
		} else if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// replace makes the store hold exactly items: each is written (an empty name
// becomes the ID), then every other item is removed. Nothing is changed when
// an ID is invalid or appears twice.
func (s *store) replace(items []item) error {
	keep := make(map[string]bool, len(items))
	for i, it := range items {
		if !validID.MatchString(it.ID) {
			return fmt.Errorf("item %d (id %q): %w", i+1, it.ID, errBadID)
		}
		if keep[it.ID] {
			return fmt.Errorf("item %d: id %q appears twice", i+1, it.ID)
		}
		keep[it.ID] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range items {
		if it.Name == "" {
			it.Name = it.ID
		}
		if err := s.write(it); err != nil {
			return err
		}
	}
	ids, err := s.ids()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if keep[id] {
			continue
		}
		if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// itemFileID returns the item ID a store folder entry holds, and false for
// anything else: folders, hidden files (temporary files are ".tmp-*") and
// names that are not a valid ID followed by ".json".
func itemFileID(e os.DirEntry) (string, bool) {
	name := e.Name()
	if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
		return "", false
	}
	id := strings.TrimSuffix(name, ".json")
	return id, validID.MatchString(id)
}

// writeFileAtomic writes data and a newline to path through a temporary file
// in the same folder, renamed over path once synced.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
