// Command recipe-test tests Co-op Cloud recipes the way their users deploy
// them: install, upgrade, backup and restore, the recipe's own tests, and a
// teardown that proves nothing was left behind. It runs as a CLI and as a
// containerized GitHub/Gitea/Forgejo Actions action (internal/cli).
//
//	go install github.com/cc-ci/recipe-test/v2/cmd/recipe-test@latest
package main

import "github.com/cc-ci/recipe-test/v2/internal/cli"

func main() { cli.Main() }
