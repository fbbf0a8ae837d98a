#!/usr/bin/env bash
# The Spark job against the plain classify command on the same machine, images and cascade: classify; the job in
# local mode with 1 and 2 cores; the job on a two-worker standalone cluster on loopback (1 core each).
# Usage: scripts/bench-spark.sh [RUN_DIR] [IMAGES]   (default runs/demo 1000: the demo's cascade and test canvases)
# Throughput: the job from submission to its last row written (the executors load the cascade inside it; the
# Spark session start is not counted); classify from its first batch (the cascade already loaded).
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/demo}
n=${2:-1000}
work=$(mktemp -d)
trap 'scripts/spark-standalone.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
./anchornet export-data --out "$work/data" --splits test --test-size "$n" >/dev/null
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $n test canvases"
# one core: both pinned to CPU 0 with one libtorch thread (the job sets its executors' threads to their cores)
one=(taskset -c 0)
for cores in 1 2; do
  pin=(); [[ $cores == 1 ]] && pin=("${one[@]}")
  echo "== classify (one process), $cores core(s)"
  ANCHORNET_JAVA_OPTS="-Xmx8g -XX:+UseSerialGC -Dai.djl.pytorch.num_threads=$cores" \
    "${pin[@]}" ./anchornet classify --cascade "$run/cascade" --data "$work/data/test" | grep -E "images in|top-1"
  echo "== spark-classify, local[$cores]"
  "${pin[@]}" ./anchornet spark-classify --cascade "$run/cascade" --input "$work/data/test" \
    --out "$work/out-local$cores" --master "local[$cores,2]" --partitions $((4 * cores)) | tail -n 1
done
echo "== spark-classify, standalone: 2 workers × 1 core on loopback"
scripts/spark-standalone.sh start 2 1
opens=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done
./anchornet spark-classify --cascade "$run/cascade" --input "$work/data/test" --out "$work/out-cluster" \
  --master spark://127.0.0.1:17077 --partitions 8 \
  --conf "spark.executor.extraClassPath=$PWD/spark/target/anchornet-spark.jar:$PWD/spark/target/lib/*" \
  --conf "spark.executor.extraJavaOptions=$opens -Dai.djl.offline=true" --conf spark.executor.memory=3g \
  --conf spark.executor.cores=1 --conf spark.executorEnv.DJL_OFFLINE=true \
  --conf spark.executorEnv.OPT_OUT_TRACKING=true | tail -n 1
