#!/usr/bin/env bash
# The main job: prepares the host (packages, dockerd, swarm, fixture images),
# builds recipe-test and runs it on the bundled example recipe against the
# local single-node swarm. Results land in out/example/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin

bash scripts/setup-host.sh
go build -o bin/recipe-test ./cmd/action
exec bin/recipe-test run --recipe testdata/recipes/example --out out/example "$@"
