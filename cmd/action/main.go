// Command action is recipe-test as the action image builds it (go build -o
// recipe-test ./cmd/action): the same command as cmd/recipe-test, whose
// `recipe-test action` is the Actions mode the image's entrypoint runs.
package main

import "github.com/cc-ci/recipe-test/v2/internal/cli"

func main() { cli.Main() }
