#!/usr/bin/env bash
# The main job: prepares the host (packages, dockerd, swarm, fixture images),
# builds recipe-test and runs the full suite (lint, install, upgrade, backup,
# restore, teardown) against the local single-node swarm on the bundled
# examples:
#   - testdata/recipes/example, a plain folder (no releases: the upgrade is
#     skipped and says why), checked with generic data markers;
#   - testdata/recipes/upgrade, made into a git repository with its two
#     releases, checked with the hooks of testdata/enrollments/upgrade.
# Results land in out/example/ and out/upgrade/. Extra arguments go to both
# runs. Exits non-zero when either run fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin

bash scripts/setup-host.sh
go build -o bin/recipe-test ./cmd/recipe-test
status=0
bin/recipe-test run --recipe testdata/recipes/example --out out/example "$@" || status=$?
bash scripts/release-history.sh testdata/recipes/upgrade out/upgrade-recipe
bin/recipe-test run --recipe out/upgrade-recipe --enrollment testdata/enrollments/upgrade --out out/upgrade "$@" || status=$?
exit "$status"
