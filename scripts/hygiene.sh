#!/usr/bin/env bash
# Cheap checks of the code itself, run by scripts/test.sh before the tests:
# gofmt, go vet, staticcheck (pinned, from the Go module proxy) and go.mod
# as `go mod tidy` would leave it. Prints what is wrong; exits 1 if anything is.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
status=0
fail() { echo "hygiene: $*" >&2; status=1; }

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
[[ -z "$unformatted" ]] || fail "not gofmt'ed (run gofmt -w): $unformatted"
go vet ./... || fail "go vet found problems"
go run "$STATICCHECK" ./... || fail "staticcheck found problems"
go mod tidy -diff >/dev/null 2>&1 || { go mod tidy -diff >&2; fail "go.mod or go.sum is not tidy (run go mod tidy)"; }
# Fixtures that are modules of their own (./... and the main module's tidy
# leave them out): vetted and tidy too.
for mod in testdata/images/*/go.mod; do
	[[ -f "$mod" ]] || continue
	dir=$(dirname "$mod")
	(cd "$dir" && go vet ./...) || fail "go vet found problems in $dir"
	(cd "$dir" && go run "$STATICCHECK" ./...) || fail "staticcheck found problems in $dir"
	(cd "$dir" && go mod tidy -diff >/dev/null 2>&1) || { (cd "$dir" && go mod tidy -diff >&2); fail "$dir/go.mod or go.sum is not tidy (run go mod tidy there)"; }
done
((status == 0)) && echo "hygiene: gofmt, vet, staticcheck, tidy: clean" >&2
exit "$status"
