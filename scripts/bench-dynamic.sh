#!/usr/bin/env bash
# Speed of simulated early exit on the reference's 50,000×6 ImageNet table:
#   1. scoring 1,000 random threshold vectors (goal < 2 s), 2. a full --sweep of 40 budgets (goal < 10 s).
# Times are for the whole command, JVM start-up and table loading included.
set -euo pipefail
cd "$(dirname "$0")/.."
table=${1:-../shared/fixtures/reference_table.pth}
vectors=$(mktemp)
awk 'BEGIN { srand(1); for (i = 0; i < 1000; i++) { for (j = 0; j < 5; j++) printf "%.4f ", rand(); print 0 } }' > "$vectors"
./anchornet --version >/dev/null
costs=(--downstream-gmacs 0.7898 --anchornet-gmacs 0.0605)
echo "1,000 threshold vectors:"
/usr/bin/time -f "  %e s wall, %M KB peak RSS" ./anchornet dynamic-inference --table-file "$table" \
  --thresholds-file "$vectors" --format csv "${costs[@]}" | tail -n +2 | wc -l | sed 's/^/  vectors scored: /'
echo "sweep over 40 budgets (50,000 images split 50/50 into validation and test):"
/usr/bin/time -f "  %e s wall, %M KB peak RSS" ./anchornet dynamic-inference --table-file "$table" --sweep \
  "${costs[@]}" --save-dir "$(mktemp -d)" | tail -1
rm -f "$vectors"
