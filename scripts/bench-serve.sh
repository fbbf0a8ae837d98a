#!/usr/bin/env bash
# Side-by-side load test of the server: the cascade, then the full-resolution network it was fit against, each
# started with `anchornet serve` on loopback and loaded with `anchornet load-test` on the demo's test canvases.
# Usage: scripts/bench-serve.sh [RUN_DIR] [REQUESTS] [LEVELS]    (default runs/demo 256 1,4,16,64)
# RUN_DIR is a demo or train output: its cascade/ package and checkpoints/full/best.pth are served. SERVE_ARGS adds
# options to both servers (e.g. "--max-wait-ms 2"); IMAGES=DIR sends the image files under DIR (e.g. a train run's
# TREE/test) instead of the demo's test canvases.
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/demo}
requests=${2:-256}
levels=${3:-1,4,16,64}
port=${PORT:-18088}
./anchornet --version >/dev/null
canvases=$(mktemp -d)
trap 'rm -rf "$canvases"; kill $server 2>/dev/null || true' EXIT
# IMAGES, or else the demo's test canvases (seed 0, test split) written as files
images=${IMAGES:-$canvases/test}
[[ -n ${IMAGES:-} ]] || ./anchornet export-data --out "$canvases" --splits test --test-size 256 >/dev/null
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
for mode in cascade full; do
  extra=()
  [[ $mode == full ]] && extra=(--full-network "$run/checkpoints/full/best.pth")
  ./anchornet serve --cascade "$run/cascade" --port "$port" "${extra[@]}" ${SERVE_ARGS:-} > "$canvases/serve-$mode.log" 2>&1 &
  server=$!
  for _ in $(seq 120); do curl -fs "localhost:$port/health-check" >/dev/null 2>&1 && break; sleep 1; done
  echo "== $mode"
  ./anchornet load-test --url "http://127.0.0.1:$port" --images "$images" --requests "$requests" \
    --concurrency "$levels" --json "${OUT:-/tmp}/load-$mode.json"
  kill -TERM $server; wait $server 2>/dev/null || true
done
