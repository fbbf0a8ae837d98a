#!/usr/bin/env bash
# Copies one finished run (a demo/train output folder, or one seed-N of it) into docs/results without its networks:
# the summary and settings, the report with its figures and CSV, the timing output, the exit tables (the reference's
# .pth format, small), each network's per-epoch log (training/NAME.csv: loss, accuracies, seconds; a resumed step's
# true time, which the summary of a run built before e5eb568 does not hold) and the package's cascade.json
# (thresholds, fit and provenance). A later `demo --seeds ...` on a copy of the run folder with these files treats the
# seed as finished (it reads seed-N/summary.json).
# Usage: scripts/publish-run.sh RUN_DIR DEST_DIR "COMMIT AND COMMAND THAT MADE IT"
set -euo pipefail
run=$1; dest=$2; made=$3
[[ -f "$run/summary.json" ]] || { echo "$run has no summary.json: the run has not finished" >&2; exit 2; }
mkdir -p "$dest/tables" "$dest/cascade"
for f in summary.json demo-settings.json report.html classes.html bench.json bench.log stage-times.json \
         stage-times-bench.log; do
  [[ -f "$run/$f" ]] && cp "$run/$f" "$dest/"
done
cp "$run"/*.csv "$run"/*.png "$dest/" 2>/dev/null || true
cp "$run"/*.svg "$dest/" 2>/dev/null || true
cp "$run"/tables/*.pth "$dest/tables/"
cp "$run/cascade/cascade.json" "$dest/cascade/"
for log in "$run"/checkpoints/*/train_log.csv; do
  [[ -f "$log" ]] || continue
  mkdir -p "$dest/training"
  cp "$log" "$dest/training/$(basename "$(dirname "$log")").csv"
done
{ echo "Made with: $made"
  echo "Published from commit $(git -C "$(dirname "$0")/.." rev-parse --short HEAD)."
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores."
  echo "Networks (checkpoints/, cascade/*.pth) are not committed; everything else of the run folder is."; } \
  > "$dest/MADE-WITH.txt"
du -sh "$dest"
