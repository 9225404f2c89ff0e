package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// cliUsage lists the subcommands: the app's own management CLI, which works
// on the same store in DATA_DIR as the server, like the management command
// of a real app (data-integrity hooks and backup hooks call it).
const cliUsage = `usage:
  webapp item put ID VALUE   create item ID (named ID) or set its value
  webapp item get ID         print the value of item ID
  webapp item rm ID          remove item ID
  webapp dump FILE           write every item to FILE as a JSON array
  webapp load FILE           replace every item with those of FILE (a dump)
  webapp                     serve HTTP (see config)`

// isCommand reports whether name is a CLI subcommand rather than a request
// to serve.
func isCommand(name string) bool {
	switch name {
	case "item", "dump", "load":
		return true
	}
	return false
}

// runCLI runs the subcommand args (args[0] is its name) on the store in
// dataDir, printing its output to stdout and errors to stderr. It returns
// the exit status: 0, or 1 on any failure.
func runCLI(args []string, dataDir string, stdout, stderr io.Writer) int {
	if err := cli(args, dataDir, stdout); err != nil {
		fmt.Fprintf(stderr, "webapp: error: %v\n", err)
		if errors.Is(err, errUsage) {
			fmt.Fprintln(stderr, cliUsage)
		}
		return 1
	}
	return 0
}

var errUsage = errors.New("wrong arguments")

func cli(args []string, dataDir string, stdout io.Writer) error {
	usage := func() error { return fmt.Errorf("%w: %q", errUsage, args) }
	if len(args) < 2 {
		return usage()
	}
	s, err := openStore(dataDir)
	if err != nil {
		return err
	}
	switch {
	case args[0] == "item" && args[1] == "put" && len(args) == 4:
		_, err := s.put(args[2], args[3])
		return itemError(args[2], err)
	case args[0] == "item" && args[1] == "get" && len(args) == 3:
		it, err := s.get(args[2])
		if err != nil {
			return itemError(args[2], err)
		}
		_, err = fmt.Fprintln(stdout, it.Value)
		return err
	case args[0] == "item" && args[1] == "rm" && len(args) == 3:
		return itemError(args[2], s.remove(args[2]))
	case args[0] == "dump" && len(args) == 2:
		return dump(s, args[1])
	case args[0] == "load" && len(args) == 2:
		return load(s, args[1])
	}
	return usage()
}

// itemError words the store's errors about item id for the CLI.
func itemError(id string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNotFound):
		return fmt.Errorf("item %s not found", id)
	case errors.Is(err, errBadID):
		return fmt.Errorf("item %q: %v", id, err)
	}
	return err
}

// dump writes every item to file as a JSON array of {"id","name","value"},
// whatever the store's format, through a temporary file renamed over file.
func dump(s *store, file string) error {
	items, err := s.list()
	if err != nil {
		return fmt.Errorf("dump: %v", err)
	}
	data, err := json.MarshalIndent(items, "", "  ")
	if err != nil {
		return fmt.Errorf("dump: %v", err)
	}
	if err := writeFileAtomic(file, data); err != nil {
		return fmt.Errorf("dump to %s: %v", file, err)
	}
	return nil
}

// load replaces the store's items with those of file, a dump: items that
// are not in file are removed.
func load(s *store, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("load: %v", err)
	}
	var items []item
	if err := decodeStrict(data, &items); err != nil {
		return fmt.Errorf("load %s: not a dump (a JSON array of items): %v", file, err)
	}
	if items == nil {
		return fmt.Errorf("load %s: not a dump: want a JSON array of items, got null", file)
	}
	if err := s.replace(items); err != nil {
		return fmt.Errorf("load %s: %v", file, err)
	}
	return nil
}
