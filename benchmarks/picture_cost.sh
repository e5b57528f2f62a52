#!/usr/bin/env bash
# The default run with today's 2D pictures (trained D, best D, G's push, the GIF) against the
# same code drawing b2a2751's picture (D's surface and the points only, no GIF): issue #31's
# "at most 10% slower than without them". Three rounds, interleaved; wall, user and system
# seconds of each run by /usr/bin/time. Run it on an otherwise idle machine, from the repo root:
#   benchmarks/picture_cost.sh [OUT_DIR [OVERRIDES ...]]   (overrides go to both arms)
set -euo pipefail
repo=$(pwd)
out=${1:-outputs/picture_cost}
shift || true
python=${PYTHON:-$repo/.venv/bin/python}
old=$(mktemp -d)/b2a2751_pictures
mkdir -p "$out"
out=$(cd "$out" && pwd)
git worktree add -q --detach "$old" HEAD
trap 'git -C "$repo" worktree remove --force "$old"' EXIT
git -C "$old" apply "$repo/benchmarks/picture_cost_b2a2751_pictures.patch"
echo "load before: $(cat /proc/loadavg)"
for round in 1 2 3; do
  for arm in today b2a2751; do
    tree=$repo pythonpath=${PYTHONPATH:-}
    [ "$arm" = b2a2751 ] && tree=$old pythonpath=$old/src  # its litgan before the installed one
    PYTHONPATH=$pythonpath /usr/bin/time -f "%e %U %S" -o "$out/$arm.$round.time" \
      "$python" "$tree/train.py" trainer.enable_progress_bar=false "$@" \
      hydra.run.dir="$out/run_${arm}_$round" > "$out/$arm.$round.log" 2>&1
    echo "round $round $arm: wall, user, system s: $(cat "$out/$arm.$round.time")"
  done
done
echo "load after: $(cat /proc/loadavg)"
