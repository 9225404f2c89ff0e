#!/usr/bin/env bash
# Builds the CNCF distribution registry (the reference container registry,
# github.com/distribution/distribution/v3, cmd/registry) once per machine
# from the Go module proxy and caches it in $RECIPE_TEST_CACHE (default
# ~/.cache/recipe-test) as registry-<version>/registry; prints the binary's
# path. The release workflow's test pushes the action image to it on
# 127.0.0.1 (Docker talks plain HTTP to registries on 127.0.0.0/8).
set -euo pipefail
VERSION=3.1.2
# shellcheck source=cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"
cache=$(cache_dir)
bin=$cache/registry-$VERSION/registry
log() { echo "setup-registry: $*" >&2; }
if [[ -x "$bin" ]]; then
	log "cached: $bin"
	echo "$bin"
	exit 0
fi
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
tmp=$(cache_tmp registry-build)
trap 'rm -rf "$tmp"' EXIT
log "building registry $VERSION"
# go install builds the module as published (it has no replace directives),
# outside this repository's module.
(cd "$tmp" && GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
	"github.com/distribution/distribution/v3/cmd/registry@v$VERSION")
mkdir -p "$(dirname "$bin")"
mv "$tmp/registry" "$bin"
log "built $bin"
echo "$bin"
