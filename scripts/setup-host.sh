#!/usr/bin/env bash
# Prepares this machine for the recipe-test integration tests (idempotent):
# installs the Debian packages they need, starts dockerd if no Docker engine
# answers, makes the engine a single-node swarm manager, and builds the
# fixture images. Runs as root. It never stops anything it did not start.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dockerd_log=/var/log/recipe-test-dockerd.log

log() { echo "setup-host: $*" >&2; }
die() { log "error: $*"; exit 1; }

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
docker_answers() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

# --- packages ---------------------------------------------------------------
missing=()
# Any running engine will do (a newer docker client in /usr/local/bin is fine);
# without one, the daemon comes from Debian's docker.io.
if ! command -v dockerd >/dev/null && ! docker_answers; then
	missing+=(docker.io)
fi
# The fixture images need the static busybox (the "busybox" package is dynamic).
have_pkg busybox-static || missing+=(busybox-static)
# The browser tests drive Chromium's headless shell, as the action image does.
have_pkg chromium-headless-shell || missing+=(chromium-headless-shell)
command -v git >/dev/null || missing+=(git)

if ((${#missing[@]})); then
	[[ $EUID -eq 0 ]] || die "missing packages (${missing[*]}): run this script as root"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# A failing third-party source must not stop the Debian ones from working.
	apt-get update -q >&2 || log "warning: apt-get update reported errors; trying to install anyway"
	apt-get install -y -q "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
else
	log "packages present"
fi
command -v docker >/dev/null || die "no docker client on PATH"

# --- Docker engine ----------------------------------------------------------
if docker_answers; then
	log "docker engine answers"
else
	[[ $EUID -eq 0 ]] || die "no Docker engine answers and starting dockerd needs root"
	log "starting dockerd (log: $dockerd_log)"
	setsid nohup dockerd >>"$dockerd_log" 2>&1 </dev/null &
	dockerd_pid=$!
	for _ in $(seq 60); do
		docker_answers && break
		kill -0 "$dockerd_pid" 2>/dev/null || die "dockerd exited; see $dockerd_log: $(tail -n 5 "$dockerd_log")"
		sleep 1
	done
	docker_answers || die "dockerd (pid $dockerd_pid) does not answer after 60 s; see $dockerd_log"
	log "dockerd started (pid $dockerd_pid)"
fi

# --- swarm ------------------------------------------------------------------
if [[ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" == true ]]; then
	log "swarm manager ready"
else
	log "initialising a single-node swarm"
	if ! out=$(docker swarm init --advertise-addr 127.0.0.1 2>&1); then
		grep -q "already part of a swarm" <<<"$out" || die "docker swarm init: $out"
	fi
	for _ in $(seq 30); do
		[[ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" == true ]] && break
		sleep 1
	done
	[[ "$(docker info --format '{{.Swarm.ControlAvailable}}')" == true ]] ||
		die "this engine is not a swarm manager (state: $(docker info --format '{{.Swarm.LocalNodeState}}'))"
	log "swarm manager ready"
fi

# --- fixture images ---------------------------------------------------------
bash "$root/scripts/build-fixtures.sh"
log "done"
