#!/usr/bin/env bash
# Two builds of the server on one trained cascade, alternated (A B A B ...) so that a change is measured against the
# machine's drift: each serves RUN_DIR/cascade and takes load-test at concurrency 32 and 128 (1,024 requests each, after
# 128 warm-up requests), and its /metrics is kept. The load generator is build B's for both.
# Usage: scripts/bench-serve-ab.sh RUN_DIR OUT_DIR LAUNCHER_A LAUNCHER_B [ROUNDS] [SERVE_ARGS...]
# A launcher is a checkout's ./anchornet (e.g. a git worktree of the older commit).
set -euo pipefail
run=$1; out=$2; a=$3; b=$4; rounds=${5:-2}; shift 4; shift $(( $# > 0 ? 1 : 0 )) || true
port=${PORT:-18091}
mkdir -p "$out"
"$a" --version >/dev/null; "$b" --version >/dev/null
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
  "A: $(git -C "$(dirname "$a")" rev-parse --short HEAD), B: $(git -C "$(dirname "$b")" rev-parse --short HEAD)" \
  > "$out/MACHINE.txt"
canvases=$(mktemp -d)
server=
trap 'rm -rf "$canvases"; [[ -n $server ]] && kill $server 2>/dev/null || true' EXIT
"$b" export-data --out "$canvases" --splits test --test-size 256 >/dev/null
for round in $(seq "$rounds"); do
  for side in A B; do
    launcher=$a; [[ $side == B ]] && launcher=$b
    "$launcher" serve --cascade "$run/cascade" --port "$port" "$@" > "$out/serve-$side-$round.log" 2>&1 &
    server=$!
    for _ in $(seq 120); do curl -fs "localhost:$port/health-check" >/dev/null 2>&1 && break; sleep 1; done
    "$b" load-test --url "http://127.0.0.1:$port" --images "$canvases/test" --concurrency 32,128 --requests 1024 \
      --warmup 128 --json "$out/load-$side-$round.json" > "$out/load-$side-$round.txt"
    curl -s "localhost:$port/metrics" > "$out/metrics-$side-$round.txt"
    kill -TERM $server; wait $server 2>/dev/null || true
    server=
    echo "$side round $round: $(tail -n 2 "$out/load-$side-$round.txt" | awk '{printf "c%s %s images/s  ", $1, $4}')"
  done
done
