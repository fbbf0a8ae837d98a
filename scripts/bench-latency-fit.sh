#!/usr/bin/env bash
# A cascade fit for one request at a time, served beside the run's own cascade and the full network (issue 41).
# Usage: scripts/bench-latency-fit.sh RUN_DIR OUT_DIR [SHARE]
# 1. stage times at batch 1 on the run's bench images (bench --stage-times --batch-size 1);
# 2. thresholds refit on the run's validation table under SHARE (default 0.9) of the full network's batch-1 time;
# 3. the run's cascade, the refit cascade and the full network each served and loaded at concurrency 1 (256 requests
#    after 32 warm-up ones). Writes every output to OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1; out=$2; share=${3:-0.9}
port=${PORT:-18093}
mkdir -p "$out"
./anchornet --version >/dev/null
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(git rev-parse --short HEAD)" \
  > "$out/MACHINE.txt"
read -r -a bench < <(head -1 "$run/bench.log" | sed 's/^.*AnchorNetCli bench //; s/--json [^ ]*//; s/--batch-size [0-9]*//;
  s/--images [0-9]*//; s/--rounds [0-9]*//')
./anchornet bench "${bench[@]}" --batch-size 1 --images 64 --rounds 1 --stage-times "$out/stage-times-b1.json" \
  > "$out/bench-b1.txt"
full_ms=$(grep -o '"full_network_ms_per_image": *[0-9.eE+-]*' "$out/stage-times-b1.json" | sed 's/.*: *//')
budget=$(awk -v f="$full_ms" -v s="$share" 'BEGIN { printf "%.2f", f * s }')
rm -rf "$out/cascade-b1"
./anchornet fit-thresholds --cascade "$run/cascade" --table "$run/tables/anchornet_val.pth" --budget-ms "$budget" \
  --stage-times "$out/stage-times-b1.json" --out "$out/cascade-b1" > "$out/fit-b1.txt"
canvases=$(mktemp -d)
server=
trap 'rm -rf "$canvases"; [[ -n $server ]] && kill $server 2>/dev/null || true' EXIT
./anchornet export-data --out "$canvases" --splits test --test-size 256 >/dev/null
for mode in cascade cascade-b1 full; do
  case $mode in
    cascade) args=(--cascade "$run/cascade") ;;
    cascade-b1) args=(--cascade "$out/cascade-b1") ;;
    full) args=(--cascade "$run/cascade" --full-network "$run/checkpoints/full/best.pth") ;;
  esac
  ./anchornet serve "${args[@]}" --port "$port" > "$out/serve-$mode.log" 2>&1 &
  server=$!
  for _ in $(seq 120); do curl -fs "localhost:$port/health-check" >/dev/null 2>&1 && break; sleep 1; done
  ./anchornet load-test --url "http://127.0.0.1:$port" --images "$canvases/test" --concurrency 1 --requests 256 \
    --warmup 32 --json "$out/load-$mode-c1.json" > "$out/load-$mode-c1.txt"
  curl -s "localhost:$port/metrics" > "$out/metrics-$mode.txt"
  kill -TERM $server; wait $server 2>/dev/null || true
  server=
  echo "$mode: $(tail -n 1 "$out/load-$mode-c1.txt")"
done
