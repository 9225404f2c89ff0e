#!/usr/bin/env bash
# Builds the Gitea server the forge tests run against, once per machine:
# the binary is cached in $RECIPE_TEST_CACHE (default ~/.cache/recipe-test)
# as gitea-<version>/gitea, next to the module's own files (templates,
# locales) that the server serves as STATIC_ROOT_PATH. A cached build is
# reused; prints the binary's path on stdout.
#
# Usage: scripts/setup-gitea.sh
set -euo pipefail
VERSION=1.26.0
# shellcheck source=cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"
cache=$(cache_dir)
dir=$cache/gitea-$VERSION
bin=$dir/gitea
log() { echo "setup-gitea: $*" >&2; }

if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "version $VERSION"; then
	log "cached: $bin"
	echo "$bin"
	exit 0
fi
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v gcc >/dev/null || { log "installing gcc (the sqlite driver needs cgo)"; apt-get update -q >&2 || true; apt-get install -y -q gcc libc6-dev >&2; }
log "downloading code.gitea.io/gitea@v$VERSION"
src=$(GOFLAGS=-mod=mod go mod download -json "code.gitea.io/gitea@v$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
[[ -d "$src" ]] || { log "module download failed"; exit 1; }
tmp=$(cache_tmp gitea-build)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/." "$tmp/"
chmod -R u+w "$tmp"
log "building (about 3 minutes)"
(cd "$tmp" && CGO_ENABLED=1 go build -tags "sqlite sqlite_unlock_notify" -ldflags "-X main.Version=$VERSION" -o gitea .)
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
log "built $bin"
echo "$bin"
