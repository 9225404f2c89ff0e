// Package abra is the abra deployer: it deploys and removes a recipe by
// running Co-op Cloud's own CLI, abra, the way operators run it at a
// terminal (through internal/ptyexec, answering its prompts), and uses the
// swarm client for what abra has no command for (convergence, inventory,
// leases, exec in containers, task addresses). Every run gets a private
// ABRA_DIR holding the recipe under test and the app's env file, so the
// operator's ~/.abra is never read or written; it goes when the run ends.
package abra

import (
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Deployer names, as --deployer takes them.
const (
	Auto  = "auto"
	Swarm = "swarm"
	Abra  = "abra"
)

// Config is how abra is run: which binary, against which server.
type Config struct {
	// Binary is the abra executable; "" = abra on PATH.
	Binary string
	// Server is the abra server context the app is created on: a name
	// abra knows (`abra server add`), whose Docker context reaches the
	// same swarm as the Docker environment recipe-test inspects.
	Server string
	// CommandTimeout bounds each abra command; 0 = DefaultCommandTimeout.
	CommandTimeout time.Duration
}

// DefaultCommandTimeout bounds one abra command: a deploy without its
// convergence (recipe-test waits for that itself), a removal, a copy.
const DefaultCommandTimeout = 10 * time.Minute

// idle is how long abra may stay silent while it runs: a prompt no answer
// matches leaves it waiting for input.
const idle = 2 * time.Minute

// Choose resolves a --deployer value against what is configured: abra
// needs an abra binary (Binary, else abra on PATH; lookPath nil =
// exec.LookPath) and a server context. auto picks abra when both are
// there, else swarm. It returns the deployer to use and, for abra, the
// config with the binary's path filled in. Asking for abra without them
// is an error naming what is missing.
func Choose(deployer string, c Config, lookPath func(string) (string, error)) (string, Config, error) {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	var missing []string
	bin := c.Binary
	if bin == "" {
		bin = "abra"
	}
	path, err := lookPath(bin)
	if err != nil {
		missing = append(missing, fmt.Sprintf("an abra binary (--abra PATH or input abra, else abra on PATH: %v)", err))
	}
	if strings.TrimSpace(c.Server) == "" {
		missing = append(missing, "a server context (--abra-server NAME or input abra-server)")
	}
	switch deployer {
	case Swarm:
		return Swarm, c, nil
	case "", Auto:
		if len(missing) > 0 {
			return Swarm, c, nil
		}
	case Abra:
		if len(missing) > 0 {
			return "", c, fmt.Errorf("--deployer abra needs %s", strings.Join(missing, " and "))
		}
	default:
		return "", c, fmt.Errorf("unknown deployer %q: use auto, swarm or abra", deployer)
	}
	c.Binary = path
	return Abra, c, nil
}
