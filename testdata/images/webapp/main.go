// Command webapp is the web application of the recipe-test fixture recipes.
//
// It is configured by environment variables (see config) and serves a small
// HTML page, a JSON item store kept as files under DATA_DIR, and probes that
// let tests tell apart a healthy app from the failure modes in FAIL_MODE.
//
// With a subcommand ("webapp item put ID VALUE", "webapp dump FILE", ...; see
// cliUsage) it is instead the app's management CLI on the same store.
//
// Built with the tag v2 it is version 2 of the app: a new storage format,
// into which the server migrates the items of version 1 when it starts
// (unless MIGRATE=off; see format_v2.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// imageTag is set at build time (-ldflags "-X main.imageTag=...") by
// scripts/build-fixtures.sh to the tag of the image the binary is built for.
var imageTag = "dev"

// Failure modes selected with FAIL_MODE.
const (
	failNone      = ""
	failUnhealthy = "unhealthy" // listen, but /health answers 503 forever
	failCrash     = "crash"     // exit 1 right away
	failHTTP500   = "http500"   // /health is fine, every other path answers 500
)

type config struct {
	port       string
	dataDir    string
	secretFile string
	configFile string
	backendURL string
	slowStart  time.Duration
	failMode   string
	version    string
	migrate    bool // MIGRATE: whether version 2 migrates version 1 data on start
}

func loadConfig() (config, error) {
	c := config{
		port:       envOr("PORT", "8080"),
		dataDir:    envOr("DATA_DIR", "/data"),
		secretFile: os.Getenv("SECRET_FILE"),
		configFile: os.Getenv("CONFIG_FILE"),
		backendURL: strings.TrimRight(os.Getenv("BACKEND_URL"), "/"),
		failMode:   os.Getenv("FAIL_MODE"),
		version:    os.Getenv("APP_VERSION"),
	}
	switch c.failMode {
	case failNone, failUnhealthy, failCrash, failHTTP500:
	default:
		return c, fmt.Errorf("unknown FAIL_MODE %q (want unhealthy, crash or http500)", c.failMode)
	}
	switch m := os.Getenv("MIGRATE"); m {
	case "", "on":
		c.migrate = true
	case "off":
	default:
		return c, fmt.Errorf("unknown MIGRATE %q (want on or off)", m)
	}
	if s := os.Getenv("SLOW_START"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return c, fmt.Errorf("SLOW_START: %v", err)
		}
		c.slowStart = d
	}
	return c, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	if len(os.Args) > 1 && isCommand(os.Args[1]) {
		os.Exit(runCLI(os.Args[1:], envOr("DATA_DIR", "/data"), os.Stdout, os.Stderr))
	}

	log.SetOutput(os.Stdout)
	log.SetFlags(log.LstdFlags | log.LUTC)

	cfg, err := loadConfig()
	if err != nil {
		fail("config: %v", err)
	}
	if cfg.failMode == failCrash {
		fail("FAIL_MODE=crash: exiting on purpose")
	}

	app, err := newApp(cfg)
	if err != nil {
		fail("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	if cfg.slowStart > 0 {
		log.Printf("SLOW_START=%s: sleeping before listening", cfg.slowStart)
		select {
		case <-time.After(cfg.slowStart):
		case <-ctx.Done():
			fail("stopped during SLOW_START")
		}
	}

	srv := &http.Server{
		Addr:              ":" + cfg.port,
		Handler:           app.routes(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()

	log.Printf("webapp %s (image tag %s, storage format %d) listening on :%s (data %s, backend %q, fail mode %q)",
		cfg.version, imageTag, storeFormat, cfg.port, cfg.dataDir, cfg.backendURL, cfg.failMode)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fail("listen: %v", err)
	}
	// Swarm stops a task whose healthcheck fails, and with restart_policy
	// "on-failure" it replaces the task only when it exits non-zero: exit 1
	// when the last /health check failed (always in FAIL_MODE=unhealthy), so
	// the task is restarted and its error says "unhealthy container".
	if app.unhealthy.Load() {
		fail("stopped while unhealthy")
	}
	log.Printf("stopped")
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "webapp: error: "+format+"\n", args...)
	os.Exit(1)
}
