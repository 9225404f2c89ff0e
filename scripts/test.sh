#!/usr/bin/env bash
# The test command: prepares the host (packages, dockerd, swarm, fixture
# images), then runs every Go test with the swarm required, so an integration
# test cannot pass by skipping. Extra arguments replace the package list
# (e.g. scripts/test.sh -run TestX ./internal/testenv/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin

bash scripts/setup-host.sh

args=("$@")
((${#args[@]})) || args=(./...)
RECIPE_TEST_REQUIRE_SWARM=1 exec go test -count=1 -timeout 60m "${args[@]}"
