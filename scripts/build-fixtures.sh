#!/usr/bin/env bash
# Builds the fixture images listed in testdata/images/fixtures.txt from the Go
# sources in testdata/images/<name>/ (a package of the main module, or a module
# of its own when the folder has a go.mod), without any registry: the static binary
# is built on the host, copied with the static /bin/busybox into a temporary
# context and built FROM scratch with the classic builder.
#
# Every image carries the label recipe-test.fixture.hash, a hash of everything
# that goes into it (sources, Dockerfile, tag, build tags, Go version,
# busybox); an image whose label matches is not rebuilt.
#
# Usage: scripts/build-fixtures.sh [--check|--force|--list]
#   (none)   build the images that are missing or stale
#   --check  build nothing; exit 1 when an image is missing or stale
#   --force  rebuild every image
#   --list   print the image references, one per line
set -euo pipefail

# Bump when the build procedure changes, to invalidate every image.
FORMAT=1
REPO_PREFIX=recipe-test-fixtures
LABEL_HASH=recipe-test.fixture.hash
BUSYBOX=${BUSYBOX:-/bin/busybox}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
images_dir=$root/testdata/images
list_file=$images_dir/fixtures.txt

log() { echo "build-fixtures: $*" >&2; }
die() { log "error: $*"; exit 1; }

mode=build
case "${1:-}" in
"") ;;
--check) mode=check ;;
--force) mode=force ;;
--list) mode=list ;;
*) die "unknown argument $1 (usage: $0 [--check|--force|--list])" ;;
esac

# fixtures prints "name tag tags" for every entry of the list file.
fixtures() {
	local name tag tags rest
	while read -r name tag tags rest || [[ -n "$name" ]]; do
		[[ -z "$name" || "$name" == \#* ]] && continue
		[[ -n "$tag" ]] || die "$list_file: no tag for $name"
		[[ -z "$rest" ]] || die "$list_file: too many fields for $name $tag"
		echo "$name $tag ${tags:--}"
	done <"$list_file"
}

if [[ $mode == list ]]; then
	fixtures | while read -r name tag _; do echo "$REPO_PREFIX/$name:$tag"; done
	exit 0
fi

command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || die "go not found (expected on PATH or in /usr/local/go/bin)"
command -v docker >/dev/null || die "docker not found: run scripts/setup-host.sh"
[[ -x "$BUSYBOX" ]] || die "$BUSYBOX not found: install busybox-static (scripts/setup-host.sh does)"
if command -v ldd >/dev/null && ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked: install busybox-static, not busybox"
fi
docker info >/dev/null 2>&1 || die "the Docker engine does not answer: run scripts/setup-host.sh"

go_version=$(go version)
busybox_sum=$(sha256sum "$BUSYBOX" | cut -d' ' -f1)

# content_hash NAME TAG TAGS: hash of everything the image is made of.
content_hash() {
	local name=$1 tag=$2 tags=$3
	{
		echo "format $FORMAT"
		echo "image $name:$tag tags $tags"
		echo "go $go_version"
		echo "busybox $busybox_sum"
		(cd "$images_dir/$name" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
	} | sha256sum | cut -d' ' -f1
}

build() {
	local name=$1 tag=$2 tags=$3 hash=$4 ref=$5 old_id=$6
	local ctx out
	ctx=$(mktemp -d "${TMPDIR:-/tmp}/recipe-test-fixture.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$ctx'" RETURN
	local build_tags=()
	[[ $tags == - ]] || build_tags=(-tags "$tags")
	# A fixture that needs third-party modules (which no package of
	# recipe-test imports, so the main module's go mod tidy would drop them)
	# is a module of its own, with its go.mod in its folder: built there.
	local dir=$root pkg=./testdata/images/$name
	[[ -f "$images_dir/$name/go.mod" ]] && dir=$images_dir/$name pkg=.
	(cd "$dir" && CGO_ENABLED=0 GOOS=linux go build -trimpath "${build_tags[@]}" \
		-ldflags "-s -w -X main.imageTag=$tag" -o "$ctx/$name" "$pkg") ||
		die "go build of testdata/images/$name failed"
	cp "$BUSYBOX" "$ctx/busybox"
	cp "$images_dir/$name/Dockerfile" "$ctx/Dockerfile"
	if ! out=$(DOCKER_BUILDKIT=0 docker build --quiet --force-rm \
		--label "recipe-test.fixture=$name" --label "$LABEL_HASH=$hash" \
		--tag "$ref" "$ctx" 2>&1); then
		echo "$out" >&2
		die "docker build of $ref failed"
	fi
	local new_id
	new_id=$(docker image inspect --format '{{.Id}}' "$ref") || die "$ref missing after docker build"
	# Drop the image this one replaces (the builder's cache may give back the
	# very same image), if nothing else uses it (no -f).
	if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
		docker image rm "$old_id" >/dev/null 2>&1 || true
	fi
	log "built $ref"
}

[[ -f "$list_file" ]] || die "$list_file not found"
entries=$(fixtures) || exit 1
stale=0
while read -r name tag tags; do
	[[ -n "$name" ]] || continue
	[[ -f "$images_dir/$name/Dockerfile" ]] || die "testdata/images/$name/Dockerfile not found"
	ref=$REPO_PREFIX/$name:$tag
	hash=$(content_hash "$name" "$tag" "$tags")
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
	log "building $ref"
	build "$name" "$tag" "$tags" "$hash" "$ref" "$old_id"
done <<<"$entries"

if [[ $mode == check ]]; then
	[[ $stale == 0 ]] || die "fixture images are missing or stale: run scripts/build-fixtures.sh"
	exit 0
fi
# Replaced fixture images that containers still used at rebuild time are left
# untagged; drop those no container uses any more, each by its ID (fixture
# images only: never a prune, which would take others' dangling images too).
docker image ls --quiet --no-trunc --filter dangling=true --filter "label=recipe-test.fixture" |
	while read -r id; do docker image rm "$id" >/dev/null 2>&1 || true; done
