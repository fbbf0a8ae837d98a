#!/usr/bin/env bash
# The server's resident memory while it refuses oversized bodies (issue: limits that hold): a 400 MB chunked POST with
# a JSON prefix, and a 300 MB POST whose Content-Length (99999999999) is past 2^31, each streamed from /dev/zero by
# the client, then a good request. Prints the JVM's resident set (VmRSS) and its peak (VmHWM) before and after each.
# Usage: scripts/bench-limits.sh [CASCADE_PACKAGE]   (default: the quick demo's, made in runs/quick when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${1:-runs/quick/cascade}
port=${PORT:-18089}
if [[ ! -d "$pkg" && ! -f "$pkg" ]]; then
  ./anchornet demo --quick --out runs/quick --quiet >/dev/null
fi
log=$(mktemp)
trap 'kill $launcher 2>/dev/null || true; rm -f "$log"' EXIT
./anchornet serve --cascade "$pkg" --port "$port" >"$log" 2>&1 &
launcher=$!
for _ in $(seq 120); do curl -fs "localhost:$port/health-check" >/dev/null 2>&1 && break; sleep 1; done
jvm=$(pgrep -f "anchornet.jar serve" | head -1)
mem() { awk '/VmRSS|VmHWM/ {printf "%s %d MB  ", $1, $2 / 1024}' "/proc/$jvm/status"; echo; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; server pid $jvm"
echo -n "ready:                         "; mem
start=$(date +%s.%N)
code=$( { printf '{"input": {"image": "'; head -c 400M /dev/zero | tr '\0' 'A'; } \
  | curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
      --data-binary @- "http://127.0.0.1:$port/predictions" || true)
printf 'chunked 400 MB: HTTP %s in %.1f s  ' "$code" "$(echo "$(date +%s.%N) - $start" | bc)"; mem
start=$(date +%s.%N)
status=$( { exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'POST /predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n' >&3
  (head -c 300M /dev/zero >&3 2>/dev/null || true) &
  head -1 <&3; exec 3>&-; } )
printf 'overflowing length: %s in %.1f s  ' "$(echo "$status" | tr -d '\r')" "$(echo "$(date +%s.%N) - $start" | bc)"; mem
img=$(find ../shared/fixtures/images -maxdepth 1 -name '*.png' | head -1)
code=$(curl -s -o /dev/null -w '%{http_code}' -F "image=@$img" "http://127.0.0.1:$port/classify" || true)
echo "a good upload afterwards: HTTP $code"
