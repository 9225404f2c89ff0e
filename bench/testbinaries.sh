#!/usr/bin/env bash
# Benchmark: the size of each enrolled recipe's precompiled test binary, as
# the Dockerfile builds it (CGO_ENABLED=0 go test -c -trimpath -ldflags
# "-s -w"), which the action image carries one of per recipe; and how many
# packages the harness links (go list -deps ./harness).
# With BASE (a commit, tag or branch), the same is measured at BASE too (its
# tree exported with git archive into a temporary folder) and each recipe's
# line gives both sizes and their ratio (this tree / BASE). Recipes missing
# at BASE are measured here only.
# Usage: bench/testbinaries.sh [BASE]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
base=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure TREE OUT: builds TREE's recipes' test binaries into OUT/<name>.test
# and writes OUT/deps (the harness's package count).
measure() {
	local tree=$1 out=$2 dir name
	mkdir -p "$out"
	for dir in "$tree"/recipes/*/; do
		name=$(basename "$dir")
		ls "$dir"/*_test.go >/dev/null 2>&1 || continue
		(cd "$tree" && CGO_ENABLED=0 go test -c -trimpath -ldflags "-s -w" -o "$out/$name.test" "./recipes/$name")
	done
	(cd "$tree" && go list -deps ./harness | wc -l) >"$out/deps"
}

echo "building the test binaries of $(git describe --tags --always --dirty)" >&2
measure "$PWD" "$tmp/here"
if [[ -n $base ]]; then
	echo "building the test binaries of $base" >&2
	mkdir -p "$tmp/base-tree"
	git archive "$base" | tar -C "$tmp/base-tree" -xf -
	measure "$tmp/base-tree" "$tmp/base"
fi

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
total_here=0 total_base=0
for bin in "$tmp/here"/*.test; do
	name=$(basename "$bin" .test)
	here=$(stat -c %s "$bin")
	total_here=$((total_here + here))
	if [[ -f $tmp/base/$name.test ]]; then
		was=$(stat -c %s "$tmp/base/$name.test")
		total_base=$((total_base + was))
		echo "$name: $(mb "$was") at $base -> $(mb "$here") here (ratio $(awk -v a="$here" -v b="$was" 'BEGIN { printf "%.2f", a / b }'))"
	else
		echo "$name: $(mb "$here") here"
	fi
done
echo "all recipes: $(mb "$total_here") here${base:+, $(mb "$total_base") at $base}"
# As the action image keeps them: xz -9e (the custom stage unpacks them).
packed=0
for bin in "$tmp/here"/*.test; do packed=$((packed + $(xz -9e -c "$bin" | wc -c))); done
echo "all recipes compressed as the image keeps them: $(mb "$packed") (ratio $(awk -v a="$packed" -v b="$total_here" 'BEGIN { printf "%.2f", a / b }'))"
echo "harness links $(tr -d ' ' <"$tmp/here/deps") packages here${base:+, $(tr -d ' ' <"$tmp/base/deps") at $base}"
