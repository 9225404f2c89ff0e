#!/usr/bin/env bash
# The test command: prepares the host (packages, dockerd, swarm, fixture
# images, a cached Gitea build), then runs every Go test with the swarm required, so an integration
# test cannot pass by skipping. Extra arguments replace the package list
# (e.g. scripts/test.sh -run TestX ./internal/testenv/). By default the
# fixture web app's own tests run too, in both of its builds (./... skips
# testdata/, and release 2 is the v2 build tag).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin

bash scripts/setup-host.sh
# The forge tests run a real Gitea, the action's end-to-end test a real
# Actions runner (act) on locally made base images: each built once per
# machine, then cached.
bash scripts/setup-gitea.sh >/dev/null
bash scripts/setup-act.sh >/dev/null
bash scripts/base-images.sh

export RECIPE_TEST_REQUIRE_SWARM=1
if (($#)); then
	exec go test -count=1 -timeout 60m "$@"
fi
status=0
go test -count=1 -timeout 60m ./... ./testdata/images/webapp/ || status=$?
go test -count=1 -tags v2 ./testdata/images/webapp/ || status=$?
exit "$status"
