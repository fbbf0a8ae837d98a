#!/usr/bin/env bash
# Servers loaded one request at a time, alternated round by round so that the machine's drift hits every one alike
# (issue 41): each CONFIG serves, takes load-test at concurrency 1 (256 requests after 32 warm-up ones) and its
# /metrics is kept. The load generator is the first CONFIG's launcher for all.
# Usage: scripts/bench-c1-ab.sh OUT_DIR ROUNDS CONFIG...
#   CONFIG is LABEL:LAUNCHER:SERVE_ARGS, e.g. "new-ahead3:./anchornet:--cascade runs/demo/cascade --run-ahead 3"
#   (a launcher is a checkout's ./anchornet, e.g. a git worktree of an older commit; SERVE_ARGS are split on spaces).
set -euo pipefail
out=$1; rounds=$2; shift 2
port=${PORT:-18094}
mkdir -p "$out"
first=$(cut -d: -f2 <<<"$1")
{
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
  for config in "$@"; do
    launcher=$(cut -d: -f2 <<<"$config")
    "$launcher" --version >/dev/null
    echo "$(cut -d: -f1 <<<"$config"): $(git -C "$(dirname "$launcher")" rev-parse --short HEAD) serve $(cut -d: -f3- <<<"$config")"
  done
} > "$out/MACHINE.txt"
canvases=$(mktemp -d)
server=
trap 'rm -rf "$canvases"; [[ -n $server ]] && kill $server 2>/dev/null || true' EXIT
"$first" export-data --out "$canvases" --splits test --test-size 256 >/dev/null
for round in $(seq "$rounds"); do
  for config in "$@"; do
    label=$(cut -d: -f1 <<<"$config"); launcher=$(cut -d: -f2 <<<"$config")
    read -r -a args <<<"$(cut -d: -f3- <<<"$config")"
    "$launcher" serve "${args[@]}" --port "$port" > "$out/serve-$label-$round.log" 2>&1 &
    server=$!
    for _ in $(seq 120); do curl -fs "localhost:$port/health-check" >/dev/null 2>&1 && break; sleep 1; done
    "$first" load-test --url "http://127.0.0.1:$port" --images "$canvases/test" --concurrency 1 --requests 256 \
      --warmup 32 --json "$out/load-$label-$round.json" > "$out/load-$label-$round.txt"
    curl -s "localhost:$port/metrics" > "$out/metrics-$label-$round.txt"
    kill -TERM $server; wait $server 2>/dev/null || true
    server=
    echo "$label round $round: $(tail -n 1 "$out/load-$label-$round.txt")"
  done
done
