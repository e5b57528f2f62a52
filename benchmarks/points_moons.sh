#!/usr/bin/env bash
# docs/results.md, "Your own points": data=points on two moons, default model, 5,000 iterations;
# G's final points scored against a fresh sample of the moons by litgan-fid (W1 by exact
# transport). Usage: benchmarks/points_moons.sh [SEED ...]   (default: 0 1 2)
# OUT: the output folder; TRAIN_ARGS: further overrides of each run (e.g. trainer.enable_progress_bar=false).
set -euo pipefail
out=${OUT:-outputs/points_moons}
mkdir -p "$out"
python - "$out" <<'PY'
import sys
import numpy as np
from sklearn.datasets import make_moons
out = sys.argv[1]
for name, n, seed in (("moons", 10000, 0), ("moons_fresh", 2000, 1), ("moons_fresh2", 2000, 2)):
    points, _ = make_moons(n, noise=0.05, random_state=seed)
    np.save(f"{out}/{name}.npy", points.astype(np.float32))
PY
echo "floor: two independent 2,000-point samples of the moons"
litgan-fid "$out/moons_fresh2.npy" "$out/moons_fresh.npy" --json
for seed in "${@:-0 1 2}"; do
  for s in $seed; do
    run="$out/seed$s"
    python train.py data=points data.path="$out/moons.npy" trainer.max_steps=5000 seed="$s" \
      hydra.run.dir="$run" ${TRAIN_ARGS:-}
    litgan-sample "$run" --out "$run/g.npy" --num-samples 2000
    echo "seed $s: G's 2,000 points against a fresh 2,000-point sample"
    litgan-fid "$run/g.npy" "$out/moons_fresh.npy" --json
  done
done
