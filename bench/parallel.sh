#!/usr/bin/env bash
# Benchmark: parallel runs on one node. Install + teardown of the bundled
# example recipe, once alone, then four side by side in one
# `recipe-test run` (four --recipe) within a run budget of four slots.
# The figure is the ratio of the four's wall time to the one's: 1.0 would
# be perfect parallelism, 4.0 none (the goal is at most 1.5).
# Prints each round's times, the medians and the ratio.
# Usage: bench/parallel.sh [ROUNDS]   (default 3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
rounds=${1:-3}
recipe=testdata/recipes/example
go build -o bin/recipe-test ./cmd/recipe-test
docker network inspect proxy >/dev/null 2>&1 || docker network create -d overlay --attachable proxy >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }

# run N: N runs of the example in one command; fails when any run fails.
run() {
  local args=() i
  for i in $(seq "$1"); do args+=(--recipe "$recipe"); done
  bin/recipe-test run "${args[@]}" --stages install --budget 4 --domain-suffix parallel.bench.test \
    --out "$(mktemp -d -p "$work")" --lock-dir "$work/locks" --no-janitor 2>"$work/last.log" ||
    { cat "$work/last.log" >&2; exit 1; }
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a t_one t_four
for i in $(seq "$rounds"); do
  s=$(now); run 1; e=$(now); t_one+=("$(echo "$e - $s" | bc)")
  s=$(now); run 4; e=$(now); t_four+=("$(echo "$e - $s" | bc)")
  printf 'round %d: 1 run %6.2fs  4 in parallel %6.2fs\n' "$i" "${t_one[-1]}" "${t_four[-1]}"
done
m1=$(printf '%s\n' "${t_one[@]}" | median)
m4=$(printf '%s\n' "${t_four[@]}" | median)
printf 'median: 1 run %.2fs, 4 in parallel %.2fs, ratio 4/1 %.2f (goal <= 1.5)\n' "$m1" "$m4" "$(echo "$m4 / $m1" | bc -l)"
