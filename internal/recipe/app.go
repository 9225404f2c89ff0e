package recipe

import (
	"time"

	composetypes "github.com/docker/cli/cli/compose/types"
)

// App is a recipe resolved for one deployment: its compose files merged and
// interpolated with the env abra would use for Domain, every resource with
// the full name it gets on the swarm.
type App struct {
	Recipe       string         `json:"recipe"`
	Domain       string         `json:"domain"`
	Stack        string         `json:"stack"`
	ComposeFiles []string       `json:"compose_files"`
	Services     []Service      `json:"services"`
	Secrets      []Secret       `json:"secrets"`
	Configs      []ConfigObject `json:"configs"`
	Volumes      []Volume       `json:"volumes"`
	Networks     []Network      `json:"networks"`
	Version      string         `json:"version,omitempty"` // coop-cloud.<stack>.version
	Timeout      time.Duration  `json:"-"`                 // coop-cloud.<stack>.timeout
	TimeoutS     int            `json:"timeout_s,omitempty"`
	Warnings     []string       `json:"warnings,omitempty"`
	// Grants are the enrollment's policy grants this app needed.
	Grants []Grant `json:"grants,omitempty"`
	// Refused lists what the deploy policy refuses, when the caller
	// resolved with NoPolicy (a resolve for a deploy fails instead).
	Refused []string          `json:"refused,omitempty"`
	Env     map[string]string `json:"-"`
	// Compose is the merged, interpolated compose model the deployers
	// convert to swarm specs.
	Compose *composetypes.Config `json:"-"`
	// Dir is the recipe folder compose file paths are relative to.
	Dir string `json:"-"`
}

// Service is one compose service with the facts we act on.
type Service struct {
	Name        string            `json:"name"`
	FullName    string            `json:"full_name"`
	Image       string            `json:"image"`
	Replicas    uint64            `json:"replicas"`
	Healthcheck *Healthcheck      `json:"healthcheck,omitempty"`
	Routers     []Router          `json:"routers,omitempty"`
	Backup      *Backup           `json:"backup,omitempty"`
	Volumes     []Mount           `json:"volumes,omitempty"`
	Secrets     []string          `json:"secrets,omitempty"`
	Configs     []string          `json:"configs,omitempty"`
	Networks    []string          `json:"networks,omitempty"`
	Ports       []Port            `json:"ports,omitempty"` // compose ports: what it publishes
	Labels      map[string]string `json:"-"`
}

// Mount is a named volume mounted into a service.
type Mount struct {
	Volume string `json:"volume"`
	Target string `json:"target"`
}

// Healthcheck is a service's compose healthcheck.
type Healthcheck struct {
	Test        []string `json:"test,omitempty"`
	Disabled    bool     `json:"disabled,omitempty"`
	Interval    string   `json:"interval,omitempty"`
	Timeout     string   `json:"timeout,omitempty"`
	StartPeriod string   `json:"start_period,omitempty"`
	Retries     uint64   `json:"retries,omitempty"`
}

// Secret is a top-level compose secret. abra generates external secrets
// named "<stack>_<secret>_<version>" from SECRET_<SECRET>_VERSION.
type Secret struct {
	Name       string `json:"name"`
	FullName   string `json:"full_name"`
	External   bool   `json:"external"`
	VersionVar string `json:"version_var,omitempty"`
	Version    string `json:"version,omitempty"`
	Length     int    `json:"length,omitempty"`  // the `# length=N` hint; 0 = none
	Charset    string `json:"charset,omitempty"` // the `charset=` hint
	// Generate is false when the hint says generate=false: the operator
	// must supply the value.
	Generate bool `json:"generate"`
}

// ConfigObject is a top-level compose config (a swarm config object).
type ConfigObject struct {
	Name           string `json:"name"`
	FullName       string `json:"full_name"`
	File           string `json:"file,omitempty"` // relative to the recipe
	TemplateDriver string `json:"template_driver,omitempty"`
	VersionVar     string `json:"version_var,omitempty"`
	Version        string `json:"version,omitempty"`
	External       bool   `json:"external,omitempty"`
}

// Volume is a top-level compose volume.
type Volume struct {
	Name     string `json:"name"`
	FullName string `json:"full_name"`
	External bool   `json:"external,omitempty"`
	Driver   string `json:"driver,omitempty"`
}

// Network is a top-level compose network.
type Network struct {
	Name     string `json:"name"`
	FullName string `json:"full_name"`
	External bool   `json:"external,omitempty"`
	Driver   string `json:"driver,omitempty"`
	Internal bool   `json:"internal,omitempty"`
}

// Service returns the named service.
func (a *App) Service(name string) (*Service, bool) {
	for i := range a.Services {
		if a.Services[i].Name == name {
			return &a.Services[i], true
		}
	}
	return nil, false
}

// PrimaryRouter returns the router serving the app's domain, and the
// service that carries it: the first router (by service, then name) whose
// rule names the domain, else the first router at all. Routers to a
// service of Traefik itself (api@internal) or of its file provider come
// last: nothing of the recipe answers them.
func (a *App) PrimaryRouter() (*Service, Router, bool) {
	if s, r, ok := a.primaryRouter(true); ok {
		return s, r, true
	}
	return a.primaryRouter(false)
}

func (a *App) primaryRouter(ownOnly bool) (*Service, Router, bool) {
	var firstSvc *Service
	var first Router
	for i := range a.Services {
		s := &a.Services[i]
		for _, r := range s.Routers {
			if ownOnly && r.External() {
				continue
			}
			if r.Serves(a.Domain) {
				return s, r, true
			}
			if firstSvc == nil {
				firstSvc, first = s, r
			}
		}
	}
	return firstSvc, first, firstSvc != nil
}
