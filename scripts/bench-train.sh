#!/usr/bin/env bash
# Side-by-side training-step throughput: anchornet (DJL, torch-exact Nesterov SGD) vs Python PyTorch (Debian's
# python3-torch), same network, batch, input size and 2 threads, same allocator settings.
# Usage: scripts/bench-train.sh [rounds]   (ResNet-50 and DenseNet-121 at 95 px, AnchorNet at 224 px, batch 32;
# ARCHS="resnet50 95,anchornet 224" picks others). On VMs that report no CPU caches, ResNet-50's strided 1x1
# (downsample) convolutions train as subsample-then-convolve (libtorch 2.7.1's oneDNN backward kernel for them dies
# with SIGFPE there; see Layers.Conv).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
./anchornet --version >/dev/null
export MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2000000000 MALLOC_TOP_PAD_=536870912 LRU_CACHE_CAPACITY=8192 ONEDNN_PRIMITIVE_CACHE_CAPACITY=8192
for round in $(seq "$rounds"); do
  echo "round $round"
  IFS=, read -ra nets <<< "${ARCHS:-resnet50 95,densenet121 95,anchornet 224}"
  for net in "${nets[@]}"; do
    set -- $net
    ./anchornet forward-bench --train --arch "$1" --input "$2" --batch-size 32 --iterations ${ITERATIONS:-10} --warmup ${WARMUP:-6}
    /usr/bin/python3 scripts/bench_forward_torch.py --train --arch "$1" --input "$2" --batch-size 32 \
      --iterations ${ITERATIONS:-10} --warmup ${WARMUP:-6} --threads 2
  done
done
