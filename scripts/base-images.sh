#!/usr/bin/env bash
# Makes the base images the action's Dockerfile names, locally, for machines
# that cannot pull from a registry: debian:bookworm-slim from Debian's
# packages (debootstrap --variant=minbase, then docker import) and
# golang:1.26-bookworm (that plus this machine's /usr/local/go and its extra
# CA certificates). An image
# that already exists is kept, so the work happens once per machine.
#
# Usage: scripts/base-images.sh
set -euo pipefail
log() { echo "base-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

DEBIAN=debian:bookworm-slim
GOLANG=golang:1.26-bookworm
GOROOT_HOST=${GOROOT_HOST:-/usr/local/go}

have() { docker image inspect "$1" >/dev/null 2>&1; }

mirror() {
	local uri
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
	echo "${uri:-http://deb.debian.org/debian}"
}

if ! have "$DEBIAN"; then
	command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get update -q >&2 || true; apt-get install -y -q debootstrap >&2; }
	root=$(mktemp -d "${TMPDIR:-/tmp}/recipe-test-rootfs.XXXXXX")
	trap 'rm -rf "$root"' EXIT
	log "debootstrap bookworm into $root from $(mirror)"
	debootstrap --variant=minbase bookworm "$root" "$(mirror)" >/dev/null || die "debootstrap failed"
	# Keep it slim, as the published image is: no apt lists, downloaded
	# packages (debootstrap leaves its 30 MB of .debs), docs, man pages or locales.
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
	tar -C "$root" -c . | docker import -c 'CMD ["bash"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$DEBIAN" >/dev/null
	rm -rf "$root"
	trap - EXIT
	log "made $DEBIAN"
else
	log "present: $DEBIAN"
fi

if ! have "$GOLANG"; then
	[[ -x "$GOROOT_HOST/bin/go" ]] || die "no Go at $GOROOT_HOST"
	ctx=$(mktemp -d "${TMPDIR:-/tmp}/recipe-test-golang.XXXXXX")
	trap 'rm -rf "$ctx"' EXIT
	cp -a "$GOROOT_HOST" "$ctx/go"
	# This machine's own CAs (an egress proxy's, say), so that builds in
	# the image reach the Go module proxy as the host does.
	mkdir -p "$ctx/ca"
	cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
	cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $DEBIAN
COPY go /usr/local/go
COPY ca /usr/local/share/ca-certificates
ENV PATH=/usr/local/go/bin:/root/go/bin:\$PATH GOPATH=/root/go GOTOOLCHAIN=local
RUN apt-get update -q && apt-get install -y -q --no-install-recommends ca-certificates git && update-ca-certificates && rm -rf /var/lib/apt/lists/*
DOCKERFILE
	DOCKER_BUILDKIT=0 docker build -q -t "$GOLANG" "$ctx" >/dev/null || die "docker build of $GOLANG failed"
	rm -rf "$ctx"
	trap - EXIT
	log "made $GOLANG"
else
	log "present: $GOLANG"
fi
