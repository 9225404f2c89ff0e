#!/usr/bin/env bash
# Builds a two-node Docker Swarm out of docker-in-docker containers and runs
# the multi-node test on it (internal/multinode's TestMultiNode*): the
# example recipe's install, backup, restore and teardown with its backed-up
# service placed on the worker, and zero residue on every node, with the
# swarm deployer and with the abra deployer (the stand-in abra).
#
#   scripts/multinode.sh [test] [go test flags]   up, run, down (the default)
#   scripts/multinode.sh up       make the swarm and print how to reach it
#   scripts/multinode.sh run [go test flags]   run the test on the swarm "up" made
#   scripts/multinode.sh down     remove everything "up" made
#
# The nodes: an image of Debian's docker.io on the local Debian base
# (scripts/base-images.sh; kept, as the base images are: remove it with
# `docker rmi recipe-test-node:1`), two containers on a bridge network of
# their own, each engine listening on its socket and, unauthenticated, on
# port 2375 of that network. --privileged fails on these machines
# (CAP_SYS_RESOURCE is not in the bounding set): the nodes get every other
# capability, no seccomp, AppArmor or masked paths, an init, and an
# anonymous volume for /var/lib/docker; their entrypoint remounts /sys and
# the cgroup hierarchies writable. No IPVS inside either: the recipes' services
# are dnsrr, and reached through the run's overlay network.
#
# The test runs where the direct ingress can reach a task on any node: in a
# container of the manager's engine (as an Actions job's container action
# runs), which recipe-test joins to the run's overlay network. The test
# binary and the fixture recipe are copied in; the manager's socket is
# mounted and the worker named by `--node`-style endpoints in
# RECIPE_TEST_NODES.
#
# Everything it starts is removed by name on exit, and again at the start of
# the next run (a killed run leaves nothing that stops the next one).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$PATH:/usr/local/go/bin

NODE_IMAGE=recipe-test-node:1
NET=recipe-test-multinode
MANAGER=recipe-test-mn-manager
WORKER=recipe-test-mn-worker
# Images the fixture recipe and the test container use, loaded into the nodes.
IMAGES=(recipe-test-fixtures/webapp:1 recipe-test-fixtures/backend:1 debian:bookworm-slim)

log() { echo "multinode: $*" >&2; }
die() { log "error: $*"; exit 1; }
in_node() { local n=$1; shift; docker exec "$n" docker "$@"; }

down() {
	local n
	for n in "$MANAGER" "$WORKER"; do
		# -v: the node's anonymous /var/lib/docker volume goes with it.
		if docker container inspect "$n" >/dev/null 2>&1; then
			docker rm -f -v "$n" >/dev/null && log "removed container $n"
		fi
	done
	if docker network inspect "$NET" >/dev/null 2>&1; then
		docker network rm "$NET" >/dev/null && log "removed network $NET"
	fi
}

node_image() {
	docker image inspect debian:bookworm-slim >/dev/null 2>&1 || bash "$root/scripts/base-images.sh"
	# Rebuilt when its inputs change: their hash is a label of the image.
	local sum
	sum=$(cat "$root/scripts/multinode/Dockerfile" "$root/scripts/multinode/entrypoint.sh" | sha256sum | cut -c1-16)
	if [[ $(docker image inspect -f '{{index .Config.Labels "recipe-test.inputs"}}' "$NODE_IMAGE" 2>/dev/null) == "$sum" ]]; then
		return
	fi
	log "building $NODE_IMAGE (Debian's docker.io)"
	DOCKER_BUILDKIT=0 docker build -q --label "recipe-test.inputs=$sum" -t "$NODE_IMAGE" "$root/scripts/multinode" >/dev/null
}

start_node() {
	docker run -d --name "$1" --hostname "$1" --network "$NET" \
		--cap-add ALL --cap-drop SYS_RESOURCE \
		--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
		--security-opt systempaths=unconfined --init \
		-v /var/lib/docker "$NODE_IMAGE" >/dev/null
	local i
	for i in $(seq 100); do
		in_node "$1" info >/dev/null 2>&1 && return
		sleep 0.2
	done
	docker logs --tail 20 "$1" >&2 || true
	die "the engine in $1 did not start"
}

addr() { docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$1"; }

up() {
	local t0=$SECONDS
	bash "$root/scripts/build-fixtures.sh" >/dev/null
	node_image
	down
	docker network create "$NET" >/dev/null
	start_node "$MANAGER"
	start_node "$WORKER"
	local maddr
	maddr=$(addr "$MANAGER")
	in_node "$MANAGER" swarm init --advertise-addr "$maddr" >/dev/null
	in_node "$WORKER" swarm join --token "$(in_node "$MANAGER" swarm join-token -q worker)" "$maddr:2377" >/dev/null
	# The example recipe's external network, as an abra server has it.
	in_node "$MANAGER" network create -d overlay --attachable proxy >/dev/null
	local n
	for n in "$MANAGER" "$WORKER"; do
		docker save "${IMAGES[@]}" | docker exec -i "$n" docker load -q >/dev/null
	done
	log "swarm of $MANAGER and $WORKER up in $((SECONDS - t0)) s: manager tcp://$maddr:2375, worker tcp://$(addr "$WORKER"):2375"
}

tmp=
cleanup() {
	[[ -z $tmp ]] || rm -rf "$tmp"
	[[ ${1:-} != down ]] || down
}

run_test() {
	# One fixed folder, so that a killed run's is replaced by the next.
	tmp=${TMPDIR:-/tmp}/recipe-test-multinode
	rm -rf "$tmp"
	mkdir -p "$tmp"
	log "building the test binary"
	(cd "$root" && CGO_ENABLED=0 go test -c -o "$tmp/multinode.test" ./internal/multinode/)
	# What the test reads, at the paths it expects from its package folder.
	mkdir -p "$tmp/src/internal/multinode" "$tmp/src/testdata/recipes"
	cp "$tmp/multinode.test" "$tmp/src/internal/multinode/"
	cp -r "$root/testdata/recipes/example-multinode" "$tmp/src/testdata/recipes/"
	# The stand-in abra (TestMultiNodeAbraLifecycle), which drives the
	# docker CLI: the node image's, copied beside it.
	(cd "$root" && CGO_ENABLED=0 go build -o "$tmp/src/bin/abra" ./internal/abra/testdata/abra)
	docker exec "$MANAGER" rm -rf /src
	docker cp "$tmp/src" "$MANAGER:/src"
	docker exec "$MANAGER" cp /usr/bin/docker /src/bin/docker
	local waddr t0=$SECONDS
	waddr=$(addr "$WORKER")
	# The test's container on a bridge network of the manager's engine, as a
	# runner's job container is.
	in_node "$MANAGER" rm -f recipe-test-job >/dev/null 2>&1 || true
	in_node "$MANAGER" network inspect job >/dev/null 2>&1 || in_node "$MANAGER" network create job >/dev/null
	in_node "$MANAGER" run --rm --name recipe-test-job --network job \
		-v /var/run/docker.sock:/var/run/docker.sock -v /src:/src -w /src/internal/multinode \
		-e RECIPE_TEST_MULTINODE=1 -e "RECIPE_TEST_NODES=$WORKER=tcp://$waddr:2375" \
		-e RECIPE_TEST_ABRA=/src/bin/abra -e PATH=/src/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		debian:bookworm-slim ./multinode.test -test.v -test.count=1 -test.timeout=15m "$@"
	log "test passed in $((SECONDS - t0)) s"
}

case "${1:-test}" in
up) up ;;
down) down ;;
run)
	shift
	trap cleanup EXIT
	run_test "$@"
	;;
test)
	shift || true
	trap 'cleanup down' EXIT
	up
	run_test "$@"
	;;
*) die "usage: $0 [test|run [go test flags] | up | down]" ;;
esac
