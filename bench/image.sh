#!/usr/bin/env bash
# Benchmark: the action image's size and the binary's start time in it.
#   size:  the image's size as the daemon reports it (what a runner pulls,
#          uncompressed)
#   start: wall time of `docker run --rm IMAGE --version`, over RUNS runs
#          (container create, start, the binary's start-up, exit, remove),
#          with the median and the fastest; and of the image's binary
#          alone (copied out of it) running --version on this host
# Without IMAGE, the repository's Dockerfile is built first, stamped with
# git describe, as recipe-test:bench (removed afterwards).
# Usage: bench/image.sh [-n RUNS] [IMAGE]   (default 10 runs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=10
if [[ ${1:-} == -n ]]; then runs=$2; shift 2; fi
image=${1:-}
if [[ -z $image ]]; then
	image=recipe-test:bench
	version=$(git describe --tags --always --dirty)
	echo "building $image ($version) from Dockerfile" >&2
	DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build -q --build-arg "VERSION=$version" -t "$image" . >/dev/null
	trap 'docker rmi "$image" >/dev/null' EXIT
fi
docker image inspect "$image" >/dev/null
bytes=$(docker image inspect -f '{{.Size}}' "$image")
echo "image $image: $((bytes / 1000000)) MB ($bytes bytes)"
echo "version: $(docker run --rm --pull never "$image" --version)"

now() { date +%s%N; }
times=()
for ((i = 1; i <= runs; i++)); do
	start=$(now)
	docker run --rm --pull never "$image" --version >/dev/null
	times+=($(( ($(now) - start) / 1000000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}')
echo "start (docker run --rm IMAGE --version), $runs runs: median ${median} ms, fastest $(echo "$sorted" | head -1) ms; all: ${times[*]}"

# The binary alone: what of the above is recipe-test's own start-up.
tmp=$(mktemp -d)
cid=$(docker create "$image")
docker cp -q "$cid:/usr/local/bin/recipe-test" "$tmp/recipe-test" 2>/dev/null || docker cp "$cid:/usr/local/bin/recipe-test" "$tmp/recipe-test" >/dev/null
docker rm "$cid" >/dev/null
times=()
for ((i = 1; i <= runs; i++)); do
	start=$(now)
	"$tmp/recipe-test" --version >/dev/null
	times+=($(( ($(now) - start) / 1000000 )))
done
rm -rf "$tmp"
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}')
echo "the binary alone (recipe-test --version on this host), $runs runs: median ${median} ms, fastest $(echo "$sorted" | head -1) ms"
