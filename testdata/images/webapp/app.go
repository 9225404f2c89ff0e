package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

type app struct {
	cfg          config
	hostname     string
	secretLength int // length of the secret read from SECRET_FILE; the value itself is never kept
	configLength int
	items        *store
	client       *http.Client
	unhealthy    atomic.Bool // whether the last /health check failed
}

func newApp(cfg config) (*app, error) {
	a := &app{cfg: cfg, client: &http.Client{Timeout: 1500 * time.Millisecond}}
	a.hostname, _ = os.Hostname()

	if cfg.secretFile != "" {
		b, err := os.ReadFile(cfg.secretFile)
		if err != nil {
			return nil, fmt.Errorf("SECRET_FILE: %v", err)
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			return nil, fmt.Errorf("SECRET_FILE %s is empty", cfg.secretFile)
		}
		a.secretLength = len(strings.TrimRight(string(b), "\r\n"))
	}
	if cfg.configFile != "" {
		b, err := os.ReadFile(cfg.configFile)
		if err != nil {
			return nil, fmt.Errorf("CONFIG_FILE: %v", err)
		}
		a.configLength = len(b)
	}

	items, err := openStore(cfg.dataDir)
	if err != nil {
		return nil, err
	}
	if err := migrateStore(cfg.dataDir, cfg.migrate); err != nil {
		return nil, err
	}
	a.items = items
	return a, nil
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", a.health)
	mux.HandleFunc("GET /{$}", a.index)
	mux.HandleFunc("GET /api/items", a.listItems)
	mux.HandleFunc("POST /api/items", a.createItem)
	mux.HandleFunc("GET /api/items/{id}", a.getItem)
	mux.HandleFunc("DELETE /api/items/{id}", a.deleteItem)
	mux.HandleFunc("GET /api/info", a.info)
	mux.HandleFunc("GET /api/backend", a.proxyBackend)

	var h http.Handler = mux
	if a.cfg.failMode == failHTTP500 {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/health" {
				mux.ServeHTTP(w, r)
				return
			}
			http.Error(w, "internal server error (FAIL_MODE=http500)", http.StatusInternalServerError)
		})
	}
	return logRequests(h)
}

func (a *app) health(w http.ResponseWriter, r *http.Request) {
	a.unhealthy.Store(true)
	if a.cfg.failMode == failUnhealthy {
		http.Error(w, "unhealthy (FAIL_MODE=unhealthy)", http.StatusServiceUnavailable)
		return
	}
	if a.cfg.backendURL != "" {
		if err := a.backendHealthy(); err != nil {
			http.Error(w, "backend unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	a.unhealthy.Store(false)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok")
}

func (a *app) backendHealthy() error {
	resp, err := a.client.Get(a.cfg.backendURL + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("backend /health answered %s", resp.Status)
	}
	return nil
}

func (a *app) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, indexHTML)
}

// item is the object stored by /api/items.
type item struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (a *app) listItems(w http.ResponseWriter, r *http.Request) {
	items, err := a.items.list()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, items)
}

func (a *app) createItem(w http.ResponseWriter, r *http.Request) {
	var it item
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	if err := dec.Decode(&it); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("invalid JSON: %v", err))
		return
	}
	if it.Name == "" {
		writeError(w, http.StatusBadRequest, errors.New(`"name" is required`))
		return
	}
	created, err := a.items.create(it)
	switch {
	case errors.Is(err, errExists):
		writeError(w, http.StatusConflict, err)
	case errors.Is(err, errBadID):
		writeError(w, http.StatusBadRequest, err)
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		writeJSON(w, http.StatusCreated, created)
	}
}

func (a *app) getItem(w http.ResponseWriter, r *http.Request) {
	it, err := a.items.get(r.PathValue("id"))
	switch {
	case errors.Is(err, errNotFound), errors.Is(err, errBadID):
		writeError(w, http.StatusNotFound, errNotFound)
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		writeJSON(w, http.StatusOK, it)
	}
}

func (a *app) deleteItem(w http.ResponseWriter, r *http.Request) {
	err := a.items.remove(r.PathValue("id"))
	switch {
	case errors.Is(err, errNotFound), errors.Is(err, errBadID):
		writeError(w, http.StatusNotFound, errNotFound)
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *app) info(w http.ResponseWriter, r *http.Request) {
	backendReachable := false
	if a.cfg.backendURL != "" {
		backendReachable = a.backendHealthy() == nil
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"version":           a.cfg.version,
		"image_tag":         imageTag,
		"hostname":          a.hostname,
		"secret_loaded":     a.secretLength > 0,
		"secret_length":     a.secretLength,
		"config_loaded":     a.configLength > 0,
		"config_length":     a.configLength,
		"backend_url":       a.cfg.backendURL,
		"backend_reachable": backendReachable,
		"data_dir":          a.cfg.dataDir,
		"format":            storeFormat,
		"fail_mode":         a.cfg.failMode,
	})
}

func (a *app) proxyBackend(w http.ResponseWriter, r *http.Request) {
	if a.cfg.backendURL == "" {
		writeError(w, http.StatusServiceUnavailable, errors.New("BACKEND_URL is not set"))
		return
	}
	resp, err := a.client.Get(a.cfg.backendURL + "/")
	if err != nil {
		writeError(w, http.StatusBadGateway, err)
		return
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, io.LimitReader(resp.Body, 1<<20))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// statusRecorder remembers the status code written by a handler.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		log.Printf("%s %s %d %s %s", r.Method, r.URL.RequestURI(), rec.status,
			time.Since(start).Round(time.Microsecond), r.RemoteAddr)
	})
}
