#!/usr/bin/env bash
# Builds the stand-in images of real upstream apps listed in
# testdata/apps/apps.txt: each from testdata/apps/<folder>/Dockerfile, FROM
# the locally made Debian base (scripts/base-images.sh makes it when
# missing), installing the app from Debian's packages, or from its npm
# release (the npm registry, reached with this machine's CA bundle: in a
# build stage FROM the locally made Go image, whose bundle it is, or with
# host-ca.crt, see context below); no image registry is asked for anything.
# Each image is tagged with the reference the recipe's compose file names
# (nginx:<tag>, mumblevoip/mumble-server:<tag>, ghcr.io/bluesky-social/pds:<tag>,
# louislam/uptime-kuma:<tag>).
#
# Every image carries the label recipe-test.app.hash, a hash of everything
# that goes into it (the folder's files, the reference, the IDs of the
# images its FROM lines name); an image whose label matches is not rebuilt,
# so a machine builds each once (about a minute each from Debian's
# packages, apt included; two to four for an npm app that compiles native
# modules) until its inputs change. A multi-stage build keeps its untagged
# build stage in the engine, the cache of the next rebuild.
#
# Heavy apps, whose fresh build takes more than about five minutes (ghost:
# ten or more, compiling its SQLite driver), are listed in
# testdata/apps/apps-heavy.txt instead, and built (checked, listed) only with
# RECIPE_TEST_HEAVY_APPS=1; their catalogue tests skip, saying so, while the
# image is missing and that variable is not set.
#
# Usage: scripts/build-apps.sh [--check|--force|--list]
#   (none)   build the images that are missing or stale
#   --check  build nothing; exit 1 when an image is missing or stale
#   --force  rebuild every image
#   --list   print the image references, one per line
set -euo pipefail

# Bump when the build procedure changes, to invalidate every image.
FORMAT=1
LABEL_HASH=recipe-test.app.hash
BASE=debian:bookworm-slim

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
apps_dir=$root/testdata/apps
list_files=("$apps_dir/apps.txt")
if [[ ${RECIPE_TEST_HEAVY_APPS:-} == 1 ]]; then
	list_files+=("$apps_dir/apps-heavy.txt")
fi

log() { echo "build-apps: $*" >&2; }
die() { log "error: $*"; exit 1; }

mode=build
case "${1:-}" in
"") ;;
--check) mode=check ;;
--force) mode=force ;;
--list) mode=list ;;
*) die "unknown argument $1 (usage: $0 [--check|--force|--list])" ;;
esac

# apps prints "folder ref" for every entry of the list files.
apps() {
	local folder ref rest list_file
	for list_file in "${list_files[@]}"; do
		[[ -f "$list_file" ]] || die "$list_file not found"
		apps_of "$list_file"
	done
}

# apps_of FILE prints "folder ref" for every entry of one list file.
apps_of() {
	local folder ref rest list_file=$1
	while read -r folder ref rest || [[ -n "$folder" ]]; do
		[[ -z "$folder" || "$folder" == \#* ]] && continue
		[[ -n "$ref" ]] || die "$list_file: no image reference for $folder"
		[[ -z "$rest" ]] || die "$list_file: too many fields for $folder $ref"
		[[ "$ref" == *:* ]] || die "$list_file: $ref has no tag (a missing tag would mean latest)"
		echo "$folder $ref"
	done <"$list_file"
}

entries=$(apps) || exit 1
if [[ $mode == list ]]; then
	while read -r _ ref; do echo "$ref"; done <<<"$entries"
	exit 0
fi

command -v docker >/dev/null || die "docker not found: run scripts/setup-host.sh"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer: run scripts/setup-host.sh"
if [[ $mode != check ]]; then
	bash "$root/scripts/base-images.sh"
fi
base_id=$(docker image inspect --format '{{.Id}}' "$BASE" 2>/dev/null) ||
	{ [[ $mode == check ]] && die "$BASE is missing: run scripts/base-images.sh"; die "$BASE is missing after scripts/base-images.sh"; }

# content_hash FOLDER REF: hash of everything the image is made of.
content_hash() {
	local folder=$1 ref=$2
	{
		echo "format $FORMAT"
		echo "image $ref"
		echo "base $BASE $base_id"
		# Every other image a FROM line names (a build stage's base, such
		# as the locally made Go image for its CA bundle).
		local from id
		for from in $(sed -nE 's/^FROM[[:space:]]+([^[:space:]]+).*/\1/p' "$apps_dir/$folder/Dockerfile" | sort -u); do
			[[ "$from" == "$BASE" ]] && continue
			id=$(docker image inspect --format '{{.Id}}' "$from" 2>/dev/null) || die "testdata/apps/$folder/Dockerfile: $from is missing: run scripts/base-images.sh"
			echo "from $from $id"
		done
		(cd "$apps_dir/$folder" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
	} | sha256sum | cut -d' ' -f1
}

# context FOLDER: the build context of an app, printed: its folder, or,
# when its Dockerfile copies host-ca.crt (an app installed from npm, whose
# client needs the CA bundle of the machine's network), a temporary copy of
# the folder with this machine's bundle as host-ca.crt. The bundle is not
# part of the image's hash: it changes how the app is fetched, not the app.
HOST_CA=${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}
context() {
	local folder=$1 dir
	if ! grep -q 'host-ca\.crt' "$apps_dir/$folder/Dockerfile"; then
		echo "$apps_dir/$folder"
		return
	fi
	[[ -f "$HOST_CA" ]] || die "testdata/apps/$folder needs the CA bundle $HOST_CA (set HOST_CA)"
	dir=$(mktemp -d "${TMPDIR:-/tmp}/build-apps.XXXXXX")
	cp -a "$apps_dir/$folder/." "$dir/"
	cp "$HOST_CA" "$dir/host-ca.crt"
	echo "$dir"
}

build() {
	local folder=$1 ref=$2 hash=$3 old_id=$4 out new_id ctx
	ctx=$(context "$folder")
	# The classic builder takes FROM from the local images and never pulls
	# one it has; the context is the app's folder alone (with the CA bundle,
	# above).
	if ! out=$(DOCKER_BUILDKIT=0 docker build --quiet --force-rm \
		--label "recipe-test.app=$folder" --label "$LABEL_HASH=$hash" \
		--tag "$ref" "$ctx" 2>&1); then
		[[ "$ctx" == "$apps_dir/$folder" ]] || rm -rf "$ctx"
		echo "$out" >&2
		die "docker build of $ref from testdata/apps/$folder failed"
	fi
	[[ "$ctx" == "$apps_dir/$folder" ]] || rm -rf "$ctx"
	new_id=$(docker image inspect --format '{{.Id}}' "$ref") || die "$ref missing after docker build"
	# Drop the image this one replaces, if nothing uses it (no -f).
	if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
		docker image rm "$old_id" >/dev/null 2>&1 || true
	fi
	log "built $ref"
}

stale=0
while read -r folder ref; do
	[[ -n "$folder" ]] || continue
	[[ -f "$apps_dir/$folder/Dockerfile" ]] || die "testdata/apps/$folder/Dockerfile not found"
	hash=$(content_hash "$folder" "$ref")
	have=$(docker image inspect --format "{{index .Config.Labels \"$LABEL_HASH\"}}" "$ref" 2>/dev/null || true)
	if [[ $mode != force && "$have" == "$hash" ]]; then
		log "up to date: $ref"
		continue
	fi
	if [[ $mode == check ]]; then
		if [[ -z "$have" ]]; then log "missing: $ref"; else log "stale: $ref"; fi
		stale=1
		continue
	fi
	old_id=$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
	log "building $ref from testdata/apps/$folder"
	build "$folder" "$ref" "$hash" "$old_id"
done <<<"$entries"

[[ $mode != check || $stale == 0 ]] || die "stand-in app images are missing or stale: run scripts/build-apps.sh"
