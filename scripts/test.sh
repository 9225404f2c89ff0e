#!/usr/bin/env bash
# The test command: prepares the host (packages, dockerd, swarm, fixture
# images, a cached Gitea build), then runs every Go test with the swarm required, so an integration
# test cannot pass by skipping. Extra arguments replace the package list
# (e.g. scripts/test.sh -run TestX ./internal/testenv/). By default the
# fixture web app's own tests run too, in both of its builds (./... skips
# testdata/, and release 2 is the v2 build tag), and the OIDC fixture app's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin

bash scripts/setup-host.sh
# The forge tests run a real Gitea, the action's end-to-end test a real
# Actions runner (act) on locally made base images, the release workflow's
# test a real registry: each built once per machine, then cached.
bash scripts/setup-gitea.sh >/dev/null
bash scripts/setup-act.sh >/dev/null
bash scripts/setup-registry.sh >/dev/null
bash scripts/base-images.sh
# The stand-in images of real upstream apps the catalogue's enrolled
# recipes are verified on (internal/runner's TestCatalogue*): built once per
# machine from Debian's packages, then kept while their inputs are unchanged.
bash scripts/build-apps.sh

export RECIPE_TEST_REQUIRE_SWARM=1
if (($#)); then
	exec go test -count=1 -timeout 60m "$@"
fi
status=0
bash scripts/hygiene.sh || status=$?
go test -count=1 -timeout 60m ./... ./testdata/images/webapp/ ./testdata/images/oidc-app/ || status=$?
go test -count=1 -tags v2 ./testdata/images/webapp/ || status=$?
# Every fuzz target also fuzzes briefly (FUZZTIME each, 5s by default): its
# seeds ran above as plain tests; this tries new inputs against the
# parsers' and renderers' contracts. A failing input is saved under the
# package's testdata/fuzz and fails the script. Go's fuzzing coordinator
# can fail a target with a bare "context deadline exceeded" when
# -fuzztime runs out while a starved worker is mid-call (a race in the
# coordinator, no input at fault, nothing written): such a target is
# fuzzed once more, and only that second result counts. Any other failure
# counts at once.
fuzz_log=$(mktemp)
trap 'rm -f "$fuzz_log"' EXIT
fuzz() {
	go test -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZTIME:-5s}" "./$1" 2>&1 | tee "$fuzz_log"
	return "${PIPESTATUS[0]}"
}
while read -r dir target; do
	fuzz "$dir" "$target" && continue
	if grep -qx '    context deadline exceeded' "$fuzz_log" && ! grep -q 'Failing input written' "$fuzz_log"; then
		echo "test.sh: $target ended on the fuzzing coordinator's own deadline, not on an input: fuzzing it once more"
		fuzz "$dir" "$target" || status=$?
	else
		status=1
	fi
done < <(grep -rE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' cmd internal |
	sed -E 's#^(.*)/[^/]*:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' | sort -u)
exit "$status"
