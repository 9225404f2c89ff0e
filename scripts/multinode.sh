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
# MULTINODE_ENDPOINT (read by "up") says how the test reaches the worker:
#   ssh (the default): ssh://root@WORKER, as abra reaches a server. The
#       worker's engine listens on its socket only (checked: tcp://WORKER:2375
#       must not answer), so everything the test does on the worker goes
#       through ssh and `docker system dial-stdio` there.
#   tcp: tcp://WORKER:2375, unauthenticated. Kept for what ssh cannot
#       show: a recipe's own tests get a node's URL only for a tcp:// or
#       unix:// endpoint, so the harness's exec on the worker
#       (TestMultiNodeHarnessExec "with the worker's URL") runs in this mode
#       only and is skipped, saying so, in ssh mode.
#
# The nodes: an image of Debian's docker.io and openssh-server on the local
# Debian base (scripts/base-images.sh; kept, as the base images are: remove
# it with `docker rmi recipe-test-node:1`), two containers on a bridge
# network of their own, each engine listening on its socket (the manager's
# also, unauthenticated, on port 2375 of that network, for the operator; the
# worker's there in tcp mode only), each running sshd (root by key only,
# host keys made at the node's start). --privileged fails on these machines
# (CAP_SYS_RESOURCE is not in the bounding set): the nodes get every other
# capability, no seccomp, AppArmor or masked paths, an init, and an
# anonymous volume for /var/lib/docker; their entrypoint remounts /sys and
# the cgroup hierarchies writable. No IPVS inside either: the recipes' services
# are dnsrr, and reached through the run's overlay network.
#
# ssh is set up as an operator does, with the manager's node as the
# operator's machine: a key pair made in its /root/.ssh, the public key in
# the worker's root's authorized_keys, the worker's host key read from the
# worker (docker exec, not learnt over the network) and pinned in
# known_hosts; StrictHostKeyChecking is left as ssh has it (the test checks
# that an unpinned host, the manager's own sshd, is refused).
#
# The test runs where the direct ingress can reach a task on any node: in a
# container of the manager's engine (as an Actions job's container action
# runs), which recipe-test joins to the run's overlay network. Its image,
# recipe-test-multinode-job:1 (the local Debian base with Debian's
# openssh-client, which docker/cli's connection helper runs; kept as the
# node image is), is loaded into the manager; the test binary and the
# fixture recipe are copied in, the manager's socket and /root/.ssh are
# mounted, and the worker's endpoint is in RECIPE_TEST_NODES.
#
# Everything it starts is removed by name on exit, and again at the start of
# the next run (a killed run leaves nothing that stops the next one).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$PATH:/usr/local/go/bin

NODE_IMAGE=recipe-test-node:1
JOB_IMAGE=recipe-test-multinode-job:1
NET=recipe-test-multinode
MANAGER=recipe-test-mn-manager
WORKER=recipe-test-mn-worker
# Images the fixture recipe uses, loaded into the nodes; the test's
# container image is loaded into the manager's.
IMAGES=(recipe-test-fixtures/webapp:1 recipe-test-fixtures/backend:1)
# How the test reaches the worker: ssh (ssh://root@WORKER, the default) or
# tcp (tcp://WORKER:2375). Chosen by "up", which labels the worker with it.
ENDPOINT=${MULTINODE_ENDPOINT:-ssh}

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
	build_image "$NODE_IMAGE" Dockerfile "Debian's docker.io and openssh-server" entrypoint.sh sshd.conf
	build_image "$JOB_IMAGE" job.Dockerfile "Debian's openssh-client"
}

# build_image IMAGE DOCKERFILE WHAT [FILE...]: builds IMAGE from
# scripts/multinode/DOCKERFILE unless it is there already from the same
# inputs (the Dockerfile and the FILEs it copies): their hash is a label of
# the image.
build_image() {
	local image=$1 dockerfile=$2 what=$3 sum
	shift 3
	sum=$(cd "$root/scripts/multinode" && cat "$dockerfile" "$@" | sha256sum | cut -c1-16)
	if [[ $(docker image inspect -f '{{index .Config.Labels "recipe-test.inputs"}}' "$image" 2>/dev/null) == "$sum" ]]; then
		return
	fi
	log "building $image ($what)"
	DOCKER_BUILDKIT=0 docker build -q --label "recipe-test.inputs=$sum" -f "$root/scripts/multinode/$dockerfile" -t "$image" "$root/scripts/multinode" >/dev/null
}

# start_node NAME [dockerd flags]
start_node() {
	local n=$1
	shift
	docker run -d --name "$n" --hostname "$n" --network "$NET" \
		--label "recipe-test.endpoint=$ENDPOINT" \
		--cap-add ALL --cap-drop SYS_RESOURCE \
		--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
		--security-opt systempaths=unconfined --init \
		-v /var/lib/docker "$NODE_IMAGE" "$@" >/dev/null
	local i
	for i in $(seq 100); do
		in_node "$n" info >/dev/null 2>&1 && return
		sleep 0.2
	done
	docker logs --tail 20 "$n" >&2 || true
	die "the engine in $n did not start"
}

addr() { docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$1"; }

up() {
	local t0=$SECONDS
	bash "$root/scripts/build-fixtures.sh" >/dev/null
	node_image
	down
	docker network create "$NET" >/dev/null
	case $ENDPOINT in
	ssh | tcp) ;;
	*) die "MULTINODE_ENDPOINT=$ENDPOINT: want ssh or tcp" ;;
	esac
	# The manager's engine listens on TCP for the operator (the test uses
	# its socket); the worker's only in tcp mode: in ssh mode its engine is
	# reached through sshd and nothing else.
	start_node "$MANAGER" -H tcp://0.0.0.0:2375
	if [[ $ENDPOINT == tcp ]]; then
		start_node "$WORKER" -H tcp://0.0.0.0:2375
	else
		start_node "$WORKER"
	fi
	local maddr waddr
	maddr=$(addr "$MANAGER")
	waddr=$(addr "$WORKER")
	ssh_keys "$waddr"
	if [[ $ENDPOINT == ssh ]] && in_node "$MANAGER" -H "tcp://$waddr:2375" version >/dev/null 2>&1; then
		die "the engine of $WORKER answers on tcp://$waddr:2375: in ssh mode it must be reached over ssh only"
	fi
	in_node "$MANAGER" swarm init --advertise-addr "$maddr" >/dev/null
	in_node "$WORKER" swarm join --token "$(in_node "$MANAGER" swarm join-token -q worker)" "$maddr:2377" >/dev/null
	# The example recipe's external network, as an abra server has it.
	in_node "$MANAGER" network create -d overlay --attachable proxy >/dev/null
	local n
	for n in "$MANAGER" "$WORKER"; do
		docker save "${IMAGES[@]}" | docker exec -i "$n" docker load -q >/dev/null
	done
	docker save "$JOB_IMAGE" | docker exec -i "$MANAGER" docker load -q >/dev/null
	log "swarm of $MANAGER and $WORKER up in $((SECONDS - t0)) s: manager tcp://$maddr:2375, worker $(worker_endpoint)"
}

# ssh_keys WORKER-ADDRESS: what an operator does once to reach a server
# over ssh, with the manager's node as the operator's machine: a key pair
# in its /root/.ssh (mounted into the test's container), the public key in
# the worker's root's authorized_keys, and the worker's host key, read from
# the worker itself (not learnt over the network), pinned in known_hosts.
# StrictHostKeyChecking stays as ssh has it: an unknown or changed host key
# fails the connection.
ssh_keys() {
	docker exec "$MANAGER" sh -c 'mkdir -p -m 700 /root/.ssh && ssh-keygen -q -t ed25519 -N "" -C recipe-test-multinode -f /root/.ssh/id_ed25519'
	docker exec "$MANAGER" cat /root/.ssh/id_ed25519.pub |
		docker exec -i "$WORKER" sh -c 'mkdir -p -m 700 /root/.ssh && cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys'
	echo "$1 $(docker exec "$WORKER" cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" |
		docker exec -i "$MANAGER" sh -c 'cat > /root/.ssh/known_hosts'
}

# worker_endpoint prints the endpoint the test is given for the worker, in
# the mode "up" started it in.
worker_endpoint() {
	local mode
	mode=$(docker inspect -f '{{index .Config.Labels "recipe-test.endpoint"}}' "$WORKER") || die "no $WORKER: run $0 up first"
	case $mode in
	ssh) echo "ssh://root@$(addr "$WORKER")" ;;
	tcp) echo "tcp://$(addr "$WORKER"):2375" ;;
	*) die "$WORKER: endpoint mode \"$mode\" unknown: run $0 up again" ;;
	esac
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
	local ep t0=$SECONDS
	ep=$(worker_endpoint)
	log "the test reaches $WORKER at $ep"
	# The test's container on a bridge network of the manager's engine, as a
	# runner's job container is.
	in_node "$MANAGER" rm -f recipe-test-job >/dev/null 2>&1 || true
	in_node "$MANAGER" network inspect job >/dev/null 2>&1 || in_node "$MANAGER" network create job >/dev/null
	in_node "$MANAGER" run --rm --name recipe-test-job --network job \
		-v /var/run/docker.sock:/var/run/docker.sock -v /src:/src -w /src/internal/multinode \
		-v /root/.ssh:/root/.ssh:ro \
		-e RECIPE_TEST_MULTINODE=1 -e "RECIPE_TEST_NODES=$WORKER=$ep" \
		-e RECIPE_TEST_ABRA=/src/bin/abra -e PATH=/src/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"$JOB_IMAGE" ./multinode.test -test.v -test.count=1 -test.timeout=15m "$@"
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
