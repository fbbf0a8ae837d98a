#!/usr/bin/env bash
# A Spark standalone master and two workers on loopback, from the Maven-provided Spark jars (no distribution).
# Usage: scripts/spark-standalone.sh start [WORKERS] [CORES_PER_WORKER] | stop
# Prints the master URL; the job then runs with: ./anchornet spark-classify --master spark://127.0.0.1:17077 \
#   --conf spark.executor.extraClassPath="$PWD/spark/target/anchornet-spark.jar:$PWD/spark/target/lib/*" ...
# (scripts/bench-spark.sh shows the whole command line).
set -euo pipefail
cd "$(dirname "$0")/.."
state=${SPARK_STANDALONE_DIR:-/tmp/anchornet-spark-standalone}
port=${SPARK_MASTER_PORT:-17077}
ui=${SPARK_MASTER_UI_PORT:-18090}
cp="$PWD/spark/target/anchornet-spark.jar:$PWD/spark/target/lib/*"
opens=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done
case "${1:-}" in
  start)
    workers=${2:-2}
    cores=${3:-1}
    [[ -f spark/target/anchornet-spark.jar ]] || ./mvnw -q -B -DskipTests -pl spark -am package
    mkdir -p "$state"
    export SPARK_LOCAL_IP=127.0.0.1
    # executors inherit the workers' environment: the allocator settings the launcher uses (see ./anchornet)
    export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-1} MALLOC_MMAP_MAX_=${MALLOC_MMAP_MAX_:-0} \
      MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-2000000000} MALLOC_TOP_PAD_=${MALLOC_TOP_PAD_:-536870912} \
      LRU_CACHE_CAPACITY=8192 ONEDNN_PRIMITIVE_CACHE_CAPACITY=8192
    # shellcheck disable=SC2086
    java -Xmx512m $opens -cp "$cp" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" \
      --webui-port "$ui" > "$state/master.log" 2>&1 &
    echo $! > "$state/master.pid"
    for w in $(seq "$workers"); do
      # a worker builds each executor's command from a Spark home; without a distribution these two say there is
      # none to look for (the job gives its executors their class path)
      # shellcheck disable=SC2086
      SPARK_TESTING=1 SPARK_SCALA_VERSION=2.13 java -Xmx512m $opens -cp "$cp" org.apache.spark.deploy.worker.Worker \
        "spark://127.0.0.1:$port" --host 127.0.0.1 --cores "$cores" --memory "${WORKER_MEMORY:-4g}" --webui-port 0 \
        --work-dir "$state/work$w" > "$state/worker$w.log" 2>&1 &
      echo $! > "$state/worker$w.pid"
    done
    for _ in $(seq 120); do
      alive=$(curl -fs "http://127.0.0.1:$ui/json/" 2>/dev/null | grep -c '"state" : "ALIVE"' || true)
      [[ "$alive" -ge "$workers" ]] && break
      sleep 1
    done
    echo "spark://127.0.0.1:$port ($workers workers × $cores cores)"
    ;;
  stop)
    for f in "$state"/*.pid; do [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
    ;;
  *) echo "usage: $0 start [WORKERS] [CORES] | stop" >&2; exit 2 ;;
esac
