#!/usr/bin/env bash
# The GPU check, in at most 8 minutes on a CUDA machine: the tests that train on the GPU there,
# litgan's training rates with each speed switch, and a 10,000-sample FID with cached real
# statistics. Writes OUT_DIR/gpu_check.json and OUT_DIR/gpu_check.md (and each step's log).
#
#   benchmarks/gpu_check.sh OUT_DIR [--cpu]
#
# --cpu runs the same steps on the CPU with tiny counts, in well under a minute: a check of the
# script (tests/test_gpu_check.py), not a measurement. Each step has its own time limit; a
# step that fails or runs out of time is reported as not measured, the others still run, and
# the exit status is then 1. PYTHON (default: the repository's .venv) runs everything.
set -u -o pipefail

usage="usage: benchmarks/gpu_check.sh OUT_DIR [--cpu]"
fail() { echo "gpu_check: $1" >&2; exit 2; }
out="" cpu=0
for arg in "$@"; do
  case $arg in
    --cpu) cpu=1 ;;
    -h | --help) echo "$usage"; exit 0 ;;
    -*) fail "unknown option $arg; $usage" ;;
    *) [[ -z $out ]] || fail "one OUT_DIR only; $usage"; out=$arg ;;
  esac
done
[[ -n $out ]] || fail "$usage"

repo=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-$repo/.venv/bin/python}
[[ -x $py ]] || command -v "$py" > /dev/null || fail "no Python at $py: run make setup-dev, or set PYTHON"
[[ $py != */* ]] || py=$(cd "$(dirname "$py")" && pwd)/$(basename "$py") # the steps run in $repo

if ((cpu)); then
  mode=cpu
  # One pure test from each file: the CUDA runs of these files take minutes on a CPU.
  tests=(
    tests/test_on_device.py::test_the_device_order_is_epoch_shuffles_in_every_epoch_and_resumes_mid_epoch
    tests/test_precision.py::test_grad_norms_are_unscaled_under_16_bit_mixed_precision
  )
  throughput=(--accelerator cpu --tiny --iterations 2 --warmup 1 --mlp-iterations 2 --mlp-warmup 1)
  # Inception: seconds per image on a CPU; 64 features: pool3's 2048 cost 5 s of CPU per FID
  fid=(--device cpu --num-samples 4 --batch-size 4 --feature-layer 64)
  export TORCH_COMPILE_DISABLE=1 # compiling takes a minute on a CPU; the row runs eagerly
  limits=(120 120 120)
else
  mode=cuda
  "$py" -c "import sys, torch; sys.exit(not torch.cuda.is_available())" 2> /dev/null \
    || fail "no CUDA device here; benchmarks/gpu_check.sh OUT_DIR --cpu checks the script on a CPU"
  # Neither file skips anything without CUDA: their training runs use trainer.accelerator=auto,
  # which is the GPU here (data.on_device, bf16-mixed, compile, channels_last on CUDA).
  tests=(tests/test_on_device.py tests/test_precision.py)
  throughput=(--accelerator gpu --iterations 200 --warmup 30 --mlp-iterations 1000 --mlp-warmup 100)
  fid=(--device cuda --num-samples 10000 --batch-size 50)
  limits=(140 230 90) # seconds: 7.7 minutes in all, the rest for start-up and the report
fi

mkdir -p "$out" 2> /dev/null && [[ -w $out ]] || fail "cannot write to $out; choose another OUT_DIR"
out=$(cd "$out" && pwd)
cd "$repo" || exit 2

: > "$out/steps.tsv"
# step NAME LIMIT COMMAND...: run COMMAND under a time limit, its output in OUT_DIR/NAME.log.
step() {
  local name=$1 limit=$2 start rc
  shift 2
  echo "gpu_check: $name (at most ${limit} s)"
  start=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@" > "$out/$name.log" 2>&1
  rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$start" "$(date +%s.%N)" >> "$out/steps.tsv"
}

rm -f "$out/tests.xml" "$out/throughput.json" "$out/fid.json"
step tests "${limits[0]}" "$py" -m pytest "${tests[@]}" -q -p no:cacheprovider \
  --junitxml="$out/tests.xml"
step throughput "${limits[1]}" "$py" benchmarks/gpu_check_throughput.py \
  --out "$out/throughput.json" "${throughput[@]}"
step fid "${limits[2]}" "$py" benchmarks/fid_eval.py --json "$out/fid.json" "${fid[@]}"
"$py" benchmarks/gpu_check_report.py "$out" --mode "$mode" --tests "${tests[*]}"
