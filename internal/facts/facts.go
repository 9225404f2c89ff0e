// Package facts is the contract between the runner and a recipe's own Go
// tests: the facts file the custom stage writes (what the run knows about
// the deployed app, as JSON), the environment variable that names it, and
// the mask file through which the tests announce the credentials they
// make. The runner writes the facts and reads the masks; the harness reads
// the facts and appends masks.
//
// It is its own package, with nothing but the standard library, so that
// the recipe-test binary, which only writes the facts, does not link the
// harness (and with it `testing` and chromedp), which only the tests need.
package facts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// EnvVar names the environment variable holding the facts file's path.
const EnvVar = "RECIPE_TEST_FACTS"

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
	// Dependencies are the apps this one depends on (recipe.toml's
	// [[requires]]), by their key there (the as name, else the recipe's
	// name with "_" for "-").
	Dependencies map[string]Dependency `json:"dependencies,omitempty"`
	// Out is a folder for files tests save (screenshots); the runner keeps
	// it with the run's results.
	Out string `json:"out"`
	// ExecTimeoutS bounds each Exec, ExecShell and ReadFile, in seconds;
	// 0 = harness.DefaultExecTimeout.
	ExecTimeoutS int `json:"exec_timeout_s,omitempty"`
	// MaxReadFile bounds the bytes ReadFile returns; 0 =
	// harness.DefaultMaxReadFile.
	MaxReadFile int64 `json:"max_read_file,omitempty"`
	// MaskFile is where the tests announce each credential they generate,
	// one per line (AppendMask), for the runner to mask in every report
	// (ReadMasks). It is a file the runner created for this run in its
	// private work folder (mode 0600), not the tests' output: the app's
	// output reaches a test only as data, and whatever a test prints is
	// never read as a mask, so the app cannot have a word of its choosing
	// masked (masking "fail" once blanked it in every report and broke
	// junit.xml).
	MaskFile string `json:"mask_file,omitempty"`
	// Nodes are the swarm's nodes other than the manager's, by swarm node
	// ID, with the Docker host URL (unix://, tcp://) recipe-test was given
	// for each (--node), which the harness dials to exec in a task container
	// on that node; "" for a node reached over ssh or through a Docker
	// context, which the tests cannot reach. Empty on a single-node swarm.
	Nodes map[string]string `json:"nodes,omitempty"`
}

// Dependency is what the tests know of an app deployed for this one: an
// identity provider the tests log in at, a database they check.
type Dependency struct {
	Recipe string `json:"recipe"`
	Domain string `json:"domain"`
	Stack  string `json:"stack"`
	// URL is its base URL through the run's ingress (http:// on the
	// direct ingress, https:// on Traefik's).
	URL string `json:"url"`
	// Services maps each compose service name to its swarm service name.
	Services map[string]string `json:"services,omitempty"`
	// Secrets are its secret values by compose name. Never log them.
	Secrets map[string]string `json:"secrets,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	// Outputs are what the setup steps of [[requires]] printed (an OIDC
	// client's id and secret, a test user's password).
	Outputs map[string]string `json:"outputs,omitempty"`
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

// Read reads a facts file. Domain, base URL and proxy URL are required:
// no test can reach the app without them.
func Read(path string) (*Facts, error) {
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

// Write writes a facts file readable only by its owner (it holds secret
// values).
func Write(path string, f *Facts) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// MinMask is the shortest value the mask file may announce: the harness's
// credentials are 24 characters, and masking a short word would mangle
// every report. ReadMasks leaves shorter lines out.
const MinMask = 12

// AppendMask announces v in the mask file at path, which must exist (the
// runner creates it; a missing one is an error, never a new file). One
// write of one line with O_APPEND: concurrent tests never interleave.
func AppendMask(path, v string) error {
	if strings.Contains(v, "\n") {
		return errors.New("a mask holds no line break")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(v + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadMasks returns the values announced in the mask file at path, one
// per line, leaving out those shorter than MinMask.
func ReadMasks(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range strings.Split(string(data), "\n") {
		if len(v) >= MinMask {
			out = append(out, v)
		}
	}
	return out, nil
}
