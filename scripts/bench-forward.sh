#!/usr/bin/env bash
# Side-by-side inference benchmark: anchornet (DJL) vs Python PyTorch (Debian's python3-torch), same network,
# batch, input size and 2 threads, each in its own process so peak resident memory is measured per side. DJL runs
# twice: as PyTorch eager eval mode computes (conv, then BN), and with batch norms folded as the inference commands run.
# Usage: scripts/bench-forward.sh [densenet201] [32] [95] [rounds]
# WEIGHTS=file.pth loads those weights on both sides, so that loading counts in the peak memory: torchvision's
# densenet201-c1103571.pth, or offline a random one: /usr/bin/python3 -c "import torch, torchvision;
# torch.save(torchvision.models.densenet201().state_dict(), '/tmp/densenet201.pth')"
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-densenet201} batch=${2:-32} input=${3:-95} rounds=${4:-3}
./anchornet --version >/dev/null   # build first, outside the measurement
# Both sides run with the allocator settings the launcher uses, so the comparison is of the engines, not of malloc.
export MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2000000000 MALLOC_TOP_PAD_=536870912 LRU_CACHE_CAPACITY=8192 ONEDNN_PRIMITIVE_CACHE_CAPACITY=8192
for round in $(seq "$rounds"); do
  echo "round $round"
  /usr/bin/time -f "  djl peak RSS %M KB" ./anchornet forward-bench --arch "$arch" --batch-size "$batch" --input "$input" \
    ${WEIGHTS:+--weights "$WEIGHTS"}
  /usr/bin/time -f "  djl (folded) peak RSS %M KB" ./anchornet forward-bench --arch "$arch" --batch-size "$batch" \
    --input "$input" --fold ${WEIGHTS:+--weights "$WEIGHTS"}
  /usr/bin/time -f "  torch peak RSS %M KB" /usr/bin/python3 scripts/bench_forward_torch.py --arch "$arch" \
    --batch-size "$batch" --input "$input" --threads 2 ${WEIGHTS:+--weights "$WEIGHTS"}
done
