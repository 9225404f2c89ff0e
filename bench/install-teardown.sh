#!/usr/bin/env bash
# Benchmark: install + teardown of the bundled example recipe, two ways.
#   ours:  recipe-test run --stages install (deploy, converge, readiness,
#          teardown, and the residue inventory on top)
#   shell: what a careful operator scripts with the docker CLI: stack deploy,
#          poll `docker service ls` and curl until healthy, stack rm, wait,
#          then remove volumes and secrets.
# Prints each run's wall time, the medians and the ratio ours/shell.
# Usage: bench/install-teardown.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
runs=${1:-5}
recipe=testdata/recipes/example
go build -o bin/recipe-test ./cmd/recipe-test
docker network inspect proxy >/dev/null 2>&1 || docker network create -d overlay --attachable proxy >/dev/null

now() { date +%s.%N; }

ours() {
  bin/recipe-test run --recipe "$recipe" --stages install --domain-suffix bench.test \
    --out "$(mktemp -d)" --no-janitor 2>/dev/null
}

shell() {
  local id stack
  id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  stack="exam-${id}_shell_bench_test"
  (
    cd "$recipe"
    set -a; . ./.env.sample; . ./abra.sh; set +a
    export DOMAIN="exam-${id}.shell.bench.test" STACK_NAME="$stack"
    head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 |
      docker secret create "${stack}_app_secret_${SECRET_APP_SECRET_VERSION}" - >/dev/null
    docker stack deploy -c compose.yml "$stack" >/dev/null 2>&1
  )
  # Poll until every service has all replicas running (a task with a
  # healthcheck only counts as running once healthy), then until the app answers.
  until [ -n "$(docker service ls --filter "label=com.docker.stack.namespace=$stack" --format '{{.Replicas}}')" ] &&
        ! docker service ls --filter "label=com.docker.stack.namespace=$stack" --format '{{.Replicas}}' | grep -qv '^1/1'; do
    sleep 1
  done
  local c ip
  c=$(docker ps -q --no-trunc --filter "label=com.docker.swarm.service.name=${stack}_app" | head -1)
  ip=$(docker network inspect docker_gwbridge --format "{{with index .Containers \"$c\"}}{{.IPv4Address}}{{end}}")
  until curl -fsS -o /dev/null "http://${ip%/*}:8080/"; do sleep 1; done
  docker stack rm "$stack" >/dev/null
  while [ -n "$(docker ps -aq --filter "label=com.docker.stack.namespace=$stack")" ]; do sleep 1; done
  until docker volume rm "${stack}_data" >/dev/null 2>&1; do sleep 1; done
  docker secret ls -q --filter "name=${stack}_" | xargs -r docker secret rm >/dev/null
  docker config ls -q --filter "name=${stack}_" | xargs -r docker config rm >/dev/null
  # let the stack network go before the next run
  while docker network ls -q --filter "name=${stack}_" | grep -q .; do sleep 0.2; done
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a t_ours t_shell
for i in $(seq "$runs"); do
  s=$(now); ours; e=$(now); t_ours+=("$(echo "$e - $s" | bc)")
  s=$(now); shell; e=$(now); t_shell+=("$(echo "$e - $s" | bc)")
  printf 'run %d: ours %6.2fs  shell %6.2fs\n' "$i" "${t_ours[-1]}" "${t_shell[-1]}"
done
mo=$(printf '%s\n' "${t_ours[@]}" | median)
ms=$(printf '%s\n' "${t_shell[@]}" | median)
printf 'median: ours %.2fs, shell %.2fs, ratio ours/shell %.2f\n' "$mo" "$ms" "$(echo "$mo / $ms" | bc -l)"
