#!/usr/bin/env bash
# Side-by-side training-step throughput: anchornet (DJL, torch-exact Nesterov SGD) vs Python PyTorch (Debian's
# python3-torch), same network, batch, input size and 2 threads, same allocator settings.
# Usage: scripts/bench-train.sh [rounds]   (ResNet-50 at 95 px and AnchorNet at 224 px, batch 32)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
./anchornet --version >/dev/null
export MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2000000000 MALLOC_TOP_PAD_=536870912 LRU_CACHE_CAPACITY=8192 ONEDNN_PRIMITIVE_CACHE_CAPACITY=8192
for round in $(seq "$rounds"); do
  echo "round $round"
  for net in "resnet50 95" "anchornet 224"; do
    set -- $net
    ./anchornet forward-bench --train --arch "$1" --input "$2" --batch-size 32 --iterations 6 --warmup 2
    /usr/bin/python3 scripts/bench_forward_torch.py --train --arch "$1" --input "$2" --batch-size 32 \
      --iterations 6 --warmup 2 --threads 2
  done
done
