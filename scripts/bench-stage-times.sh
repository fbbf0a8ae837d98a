#!/usr/bin/env bash
# Where a trained cascade's time goes, offline and served, beside the full network it was fit against (issue 41).
# Usage: scripts/bench-stage-times.sh RUN_DIR OUT_DIR [SERVE_ARGS...]
# RUN_DIR is a demo or train output (its bench.log's first line gives the offline bench's arguments, its cascade/ and
# checkpoints/full/best.pth are served). Writes to OUT_DIR: bench.{txt,json} and stage-times.json (offline, with
# per-stage times), and for the cascade (with SERVE_ARGS, e.g. --stage-wait-ms 50) and the full network each:
# load-test results at concurrency 1 (128 requests) and 32, 128 (1,024 requests each), and /metrics afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1; out=$2; shift 2
port=${PORT:-18089}
mkdir -p "$out"
./anchornet --version >/dev/null
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(git rev-parse --short HEAD)" \
  > "$out/MACHINE.txt"
read -r -a bench < <(head -1 "$run/bench.log" | sed 's/^.*AnchorNetCli bench //; s/--json [^ ]*//')
./anchornet bench "${bench[@]}" --stage-times "$out/stage-times.json" --json "$out/bench.json" > "$out/bench.txt"
canvases=$(mktemp -d)
trap 'rm -rf "$canvases"; kill $server 2>/dev/null || true' EXIT
./anchornet export-data --out "$canvases" --splits test --test-size 256 >/dev/null
for mode in cascade full; do
  extra=("$@")
  [[ $mode == full ]] && extra=(--full-network "$run/checkpoints/full/best.pth")
  ./anchornet serve --cascade "$run/cascade" --port "$port" "${extra[@]}" > "$out/serve-$mode.log" 2>&1 &
  server=$!
  for _ in $(seq 120); do curl -fs "localhost:$port/health-check" >/dev/null 2>&1 && break; sleep 1; done
  ./anchornet load-test --url "http://127.0.0.1:$port" --images "$canvases/test" --concurrency 1 --requests 128 \
    --warmup 32 --json "$out/load-$mode-c1.json" > "$out/load-$mode-c1.txt"
  ./anchornet load-test --url "http://127.0.0.1:$port" --images "$canvases/test" --concurrency 32,128 \
    --requests 1024 --warmup 128 --json "$out/load-$mode-c32-128.json" > "$out/load-$mode-c32-128.txt"
  curl -s "localhost:$port/metrics" > "$out/metrics-$mode.txt"
  kill -TERM $server; wait $server 2>/dev/null || true
done
