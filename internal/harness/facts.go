// Package harness is what a recipe's own tests import: the facts of the run
// they test (domain, base URL, stack, services, the ingress, secret
// values), as a typed Env, and helpers in the style of Terratest's, for
// this world: an HTTP client through the run's ingress with retries of
// what is retryable, TCP and UDP connections through the same ingress
// (DialTCP, DialUDP), waits with deadlines, JSON requests, a cookie jar,
// exec in a service's container, files from volumes, run-scoped
// credentials that are never logged, and a browser (chromedp and the system
// Chromium) through the same ingress.
//
// The runner's custom stage writes the facts to a JSON file and names it in
// $RECIPE_TEST_FACTS when it runs the tests. Run with plain `go test`,
// without it, every test that asks for its Env skips, saying so.
package harness

import (
	"encoding/json"
	"fmt"
	"os"
)

// FactsEnv names the environment variable holding the facts file's path.
const FactsEnv = "RECIPE_TEST_FACTS"

// Facts are what the runner knows about the deployed app under test.
type Facts struct {
	Recipe  string `json:"recipe"`
	Version string `json:"version,omitempty"`
	Domain  string `json:"domain"`
	// BaseURL is http://<domain> (direct ingress) or https://<domain>.
	BaseURL string `json:"base_url"`
	Stack   string `json:"stack"`
	// Services maps each compose service name to its swarm service name.
	Services map[string]string `json:"services"`
	// ProxyURL is the run's ingress: an HTTP proxy on 127.0.0.1 that
	// reaches the app by its domain (and nothing else).
	ProxyURL string `json:"proxy_url"`
	// Insecure skips TLS verification (traefik ingress with staging
	// certificates).
	Insecure bool `json:"insecure,omitempty"`
	// BrowserFlags are the Chromium flags that send the browser through
	// the ingress.
	BrowserFlags []string `json:"browser_flags,omitempty"`
	// Streams are the app's TCP and UDP ways in (Traefik TCP/UDP routers,
	// published ports), each at a local forwarder of the ingress.
	Streams []Stream `json:"streams,omitempty"`
	// Secrets maps each secret's compose name to its value. Never log them.
	Secrets map[string]string `json:"secrets,omitempty"`
	// Env is the app's resolved env (.env.sample, abra.sh exports, the
	// enrollment's extra env).
	Env map[string]string `json:"env,omitempty"`
	// Dependencies holds facts of apps this one depends on, by name.
	Dependencies map[string]map[string]string `json:"dependencies,omitempty"`
	// Out is a folder for files tests save (screenshots); the runner keeps
	// it with the run's results.
	Out string `json:"out"`
	// ExecTimeoutS bounds each Exec, ExecShell and ReadFile, in seconds;
	// 0 = DefaultExecTimeout.
	ExecTimeoutS int `json:"exec_timeout_s,omitempty"`
	// MaxReadFile bounds the bytes ReadFile returns; 0 = DefaultMaxReadFile.
	MaxReadFile int64 `json:"max_read_file,omitempty"`
	// MaskFile is where Credential announces each value it generates, one
	// per line, for the runner to mask in every report. It is a file the
	// runner created for this run in its private work folder (mode 0600),
	// not the tests' output: the app's output reaches a test only as data,
	// and whatever a test prints is never read as a mask, so the app cannot
	// have a word of its choosing masked (masking "fail" once blanked it in
	// every report and broke junit.xml).
	MaskFile string `json:"mask_file,omitempty"`
}

// Stream is a TCP or UDP way into the app, as the tests reach it.
type Stream struct {
	Protocol string `json:"protocol"` // tcp or udp
	Service  string `json:"service"`  // the compose service it reaches
	Port     int    `json:"port"`     // that service's container port
	// Route says how Traefik or swarm would route to it ("tcp router
	// echo -> echo:7000", "udp port 17001 published in host mode -> ...").
	Route string `json:"route"`
	// Addr is the ingress's local forwarder (127.0.0.1:port, TCP or UDP).
	Addr string `json:"addr"`
}

// ReadFacts reads a facts file.
func ReadFacts(path string) (*Facts, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("recipe-test facts: %w", err)
	}
	var f Facts
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("recipe-test facts %s: %w", path, err)
	}
	if f.Domain == "" || f.BaseURL == "" || f.ProxyURL == "" {
		return nil, fmt.Errorf("recipe-test facts %s: domain, base_url and proxy_url are required", path)
	}
	return &f, nil
}

// WriteFacts writes a facts file readable only by its owner (it holds
// secret values).
func WriteFacts(path string, f *Facts) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
