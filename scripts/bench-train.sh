#!/usr/bin/env bash
# Side-by-side training-step throughput: anchornet (DJL, torch-exact Nesterov SGD) vs Python PyTorch (Debian's
# python3-torch), same network, batch, input size and 2 threads, same allocator settings.
# Usage: scripts/bench-train.sh [rounds]   (DenseNet-121 at 95 px and AnchorNet at 224 px, batch 32)
# ResNet-50 is not in the list: on this project's VMs, libtorch 2.7.1's oneDNN kernel for 1x1-convolution backward
# dies with SIGFPE (brgemm_convolution_bwd_utils::brg_blocking_t::est_eff_1x1, the VM reports no cache sizes); set
# ARCHS="resnet50 95,anchornet 224" to try it on other hardware.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
./anchornet --version >/dev/null
export MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2000000000 MALLOC_TOP_PAD_=536870912 LRU_CACHE_CAPACITY=8192 ONEDNN_PRIMITIVE_CACHE_CAPACITY=8192
for round in $(seq "$rounds"); do
  echo "round $round"
  IFS=, read -ra nets <<< "${ARCHS:-densenet121 95,anchornet 224}"
  for net in "${nets[@]}"; do
    set -- $net
    ./anchornet forward-bench --train --arch "$1" --input "$2" --batch-size 32 --iterations 6 --warmup 2
    /usr/bin/python3 scripts/bench_forward_torch.py --train --arch "$1" --input "$2" --batch-size 32 \
      --iterations 6 --warmup 2 --threads 2
  done
done
