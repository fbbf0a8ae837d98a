#!/usr/bin/env bash
# The paper's patch recipe on the networks of a finished stage-recipe run (same seed, same data, same budget): copies
# the networks that recipe uses from SEED_DIR/checkpoints (pretraining, AnchorNet, the glance, full, paper patch and
# scaled networks) into OUT/checkpoints, then runs the demo with --patch-recipe paper, which finds every network
# trained and only tests, tabulates, fits, packages and times. The two recipes then differ in the patch network alone.
# Usage: scripts/paper-recipe-on-run.sh SEED_DIR OUT SEED [more demo options, e.g. --preset converged]
set -euo pipefail
src=$1/checkpoints; out=$2; seed=$3; shift 3
[[ -d "$src/patch" ]] || { echo "$src/patch is missing: no paper patch network to reuse" >&2; exit 2; }
mkdir -p "$out/checkpoints"
for d in "$src"/pretrained "$src"/anchornet "$src"/glance "$src"/full "$src"/patch "$src"/resized-*; do
  if [[ -d "$d" && ! -d "$out/checkpoints/$(basename "$d")" ]]; then cp -r "$d" "$out/checkpoints/"; fi
done
exec "$(dirname "$0")/../anchornet" demo --patch-recipe paper --seed "$seed" --out "$out" "$@"
