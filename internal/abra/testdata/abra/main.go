// Command abra is a stand-in for Co-op Cloud's abra CLI (coopcloud.tech/abra),
// which cannot be installed where recipe-test's tests run. It reproduces the
// part of abra's documented command line that recipe-test's abra deployer
// drives: its commands and flags, its prompts (asked only when stdin is a
// terminal and --no-input is not given, as abra does), its output lines and
// tables, and its exit codes. It deploys for real, through the docker CLI,
// onto the swarm the environment points at.
//
// It is test data: it knows nothing of recipe-test, and recipe-test knows
// it only as "an abra binary". Where real abra's exact wording is not
// known, the wording here is plausible, and recipe-test's deployer must
// not depend on it beyond what the README documents.
//
// Failures can be injected, for tests of the caller's error handling:
// ABRA_STANDIN_FAIL=deploy makes `app deploy` deploy the stack and then
// fail as abra does when the deployment does not converge;
// ABRA_STANDIN_FAIL=deploy-early makes it fail after creating only the
// stack's network, as a stack deploy that breaks half-way;
// ABRA_STANDIN_FAIL=restart makes `app restart` scale the service to 0
// and then fail, as abra does when the service does not come back.
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

const version = "0.9.0-beta-standin"

func main() {
	os.Exit(run(os.Args[1:]))
}

// cli is one invocation: its words without flags, and its flags.
type cli struct {
	args    []string
	flags   map[string]string // long name -> value ("true" for switches)
	abraDir string
	stdin   *bufio.Reader
}

// valueFlags take a value; every other flag is a switch.
var valueFlags = map[string]bool{"server": true, "domain": true}

// short maps the one-letter flags whose meaning is the same in every
// command to their long names (abra's -D, -f differ between commands: use
// the long names for those).
var short = map[string]string{
	"s": "server", "S": "secrets", "C": "chaos", "n": "no-input",
	"c": "no-converge-checks", "p": "prune", "a": "all", "o": "offline", "d": "debug",
}

func parse(argv []string) (*cli, error) {
	c := &cli{flags: map[string]string{}, stdin: bufio.NewReader(os.Stdin)}
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			c.args = append(c.args, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "--") {
			long, ok := short[name]
			if !ok {
				return nil, fmt.Errorf("flag provided but not defined: %s", a)
			}
			name = long
		}
		if valueFlags[name] && !hasValue {
			if i+1 >= len(argv) {
				return nil, fmt.Errorf("flag needs an argument: %s", a)
			}
			i++
			value = argv[i]
		} else if !hasValue {
			value = "true"
		}
		c.flags[name] = value
	}
	c.abraDir = os.Getenv("ABRA_DIR")
	if c.abraDir == "" {
		home, _ := os.UserHomeDir()
		c.abraDir = filepath.Join(home, ".abra")
	}
	return c, nil
}

func run(argv []string) int {
	c, err := parse(argv)
	if err != nil {
		return fatal(err)
	}
	if c.flags["version"] == "true" || (len(c.args) == 1 && c.args[0] == "version") {
		fmt.Printf("abra version %s\n", version)
		return 0
	}
	if len(c.args) < 2 {
		return fatal(fmt.Errorf("usage: abra app|recipe COMMAND [ARGS]"))
	}
	cmd := c.args[0] + " " + c.args[1]
	rest := c.args[2:]
	if c.args[0] == "app" && len(c.args) > 2 && (c.args[1] == "secret" || c.args[1] == "volume") {
		cmd, rest = cmd+" "+c.args[2], c.args[3:]
	}
	handlers := map[string]func(*cli, []string) error{
		"app new":             appNew,
		"app deploy":          appDeploy,
		"app undeploy":        appUndeploy,
		"app secret generate": secretGenerate,
		"app secret insert":   secretInsert,
		"app secret remove":   secretRemove,
		"app secret rm":       secretRemove,
		"app volume remove":   volumeRemove,
		"app volume rm":       volumeRemove,
		"app remove":          appRemove,
		"app rm":              appRemove,
		"app cp":              appCp,
		"app restart":         appRestart,
		"recipe lint":         recipeLint,
	}
	h, ok := handlers[cmd]
	if !ok {
		return fatal(fmt.Errorf("unknown command %q", cmd))
	}
	if err := h(c, rest); err != nil {
		return fatal(err)
	}
	return 0
}

// fatal prints an error as abra's logger does and returns its exit code.
func fatal(err error) int {
	fmt.Fprintf(os.Stderr, "FATA %s\n", err)
	return 1
}

func info(format string, args ...any) { fmt.Printf("INFO "+format+"\n", args...) }
func warn(format string, args ...any) { fmt.Printf("WARN "+format+"\n", args...) }

// interactive reports whether abra may prompt: stdin is a terminal and
// --no-input was not given.
func (c *cli) interactive() bool {
	if c.flags["no-input"] == "true" {
		return false
	}
	_, err := unix.IoctlGetTermios(int(os.Stdin.Fd()), unix.TCGETS)
	return err == nil
}

// confirm asks a yes/no question, default no. Without a terminal abra
// does not ask: it goes ahead, as --no-input does.
func (c *cli) confirm(question string) (bool, error) {
	if !c.interactive() {
		return true, nil
	}
	fmt.Printf("? %s (y/N) ", question)
	line, err := c.stdin.ReadString('\n')
	if err != nil && line == "" {
		return false, fmt.Errorf("reading answer: %w", err)
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

// input asks for a value with a default.
func (c *cli) input(question, def string) (string, error) {
	if !c.interactive() {
		return def, nil
	}
	fmt.Printf("? %s (%s) ", question, def)
	line, err := c.stdin.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading answer: %w", err)
	}
	if v := strings.TrimSpace(line); v != "" {
		return v, nil
	}
	return def, nil
}

// table prints rows under headers with box-drawing borders, as abra's
// tables look at a terminal.
func table(headers []string, rows [][]string) {
	w := make([]int, len(headers))
	for i, h := range headers {
		w[i] = len([]rune(h))
	}
	for _, r := range rows {
		for i, cell := range r {
			w[i] = max(w[i], len([]rune(cell)))
		}
	}
	line := func(l, m, r string) {
		parts := make([]string, len(w))
		for i, n := range w {
			parts[i] = strings.Repeat("─", n+2)
		}
		fmt.Println(l + strings.Join(parts, m) + r)
	}
	row := func(cells []string) {
		parts := make([]string, len(w))
		for i, n := range w {
			parts[i] = " " + cells[i] + strings.Repeat(" ", n-len([]rune(cells[i]))) + " "
		}
		fmt.Println("│" + strings.Join(parts, "│") + "│")
	}
	line("┌", "┬", "┐")
	row(headers)
	line("├", "┼", "┤")
	for _, r := range rows {
		row(r)
	}
	line("└", "┴", "┘")
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
