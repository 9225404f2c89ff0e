#!/usr/bin/env bash
# Builds nektos/act (a real GitHub Actions runner) once per machine from the
# Go module proxy and caches it in $RECIPE_TEST_CACHE (default
# ~/.cache/recipe-test) as act-<version>/act; prints the binary's path.
set -euo pipefail
VERSION=0.2.89
# shellcheck source=cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"
cache=$(cache_dir)
bin=$cache/act-$VERSION/act
log() { echo "setup-act: $*" >&2; }
if [[ -x "$bin" ]]; then
	log "cached: $bin"
	echo "$bin"
	exit 0
fi
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
src=$(GOFLAGS=-mod=mod go mod download -json "github.com/nektos/act@v$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
[[ -d "$src" ]] || { log "module download failed"; exit 1; }
tmp=$(cache_tmp act-build)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/." "$tmp/"
chmod -R u+w "$tmp"
log "building act $VERSION"
(cd "$tmp" && CGO_ENABLED=0 go build -ldflags "-X main.version=$VERSION" -o act .)
mkdir -p "$(dirname "$bin")"
mv "$tmp/act" "$bin"
log "built $bin"
echo "$bin"
