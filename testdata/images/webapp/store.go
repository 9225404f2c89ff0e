package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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

// store keeps each item as DIR/items/<id>.json, so the data lives on the
// volume mounted at DATA_DIR and survives redeploys, backups and restores.
type store struct {
	mu  sync.Mutex
	dir string
}

func openStore(dataDir string) (*store, error) {
	dir := filepath.Join(dataDir, "items")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("DATA_DIR: %v", err)
	}
	return &store{dir: dir}, nil
}

func (s *store) path(id string) string { return filepath.Join(s.dir, id+".json") }

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
	p := s.path(it.ID)
	if _, err := os.Stat(p); err == nil {
		return item{}, fmt.Errorf("%w: %s", errExists, it.ID)
	}
	data, err := json.Marshal(it)
	if err != nil {
		return item{}, err
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return item{}, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return item{}, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return item{}, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return item{}, err
	}
	if err := tmp.Close(); err != nil {
		return item{}, err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
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
	var it item
	if err := json.Unmarshal(data, &it); err != nil {
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

// list returns every item, sorted by id; never nil, so it encodes as [].
func (s *store) list() ([]item, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	items := []item{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		it, err := s.get(strings.TrimSuffix(name, ".json"))
		if errors.Is(err, errNotFound) {
			continue // removed meanwhile
		} else if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].ID < items[j].ID })
	return items, nil
}
