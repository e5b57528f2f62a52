#!/usr/bin/env bash
# The kernel density estimate's cost in the default run (#40): `python train.py` on the ring,
# whose density is known, against the same run on 100,000 ring points as a point file
# (data=points), whose density is estimated; PAIRS pairs, one run at a time, in turn.
# Usage: OMP_NUM_THREADS=1 benchmarks/kde_run_cost.sh [PAIRS]   (default 3)
# OUT: the output folder (default outputs/kde_run_cost). Prints each run's wall time.
set -euo pipefail
out=${OUT:-outputs/kde_run_cost}
py=${PYTHON:-python}
mkdir -p "$out"
"$py" - "$out/ring.npy" <<'PY'
import sys

import numpy as np

from litgan.data import GaussianMixtureDataModule

ring = GaussianMixtureDataModule(num_samples=100_000, seed=0)
ring.setup("fit")
np.save(sys.argv[1], ring.samples.numpy().astype(np.float32))
PY
off=(trainer.enable_progress_bar=false extras.print_config=false)
for i in $(seq "${1:-3}"); do
  for kind in mixture estimate; do
    data=() && [[ $kind == estimate ]] && data=(data=points "data.path=$out/ring.npy")
    start=$(date +%s.%N)
    "$py" train.py "${data[@]}" "${off[@]}" "hydra.run.dir=$out/$kind$i" > "$out/$kind$i.log" 2>&1
    echo "$kind pair $i: $(echo "$(date +%s.%N) - $start" | bc) s"
  done
done
