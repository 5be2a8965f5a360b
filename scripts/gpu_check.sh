#!/usr/bin/env bash
# The GPU check: prove the cuda backend on a GPU and time it, inside 8 minutes, on a machine with an NVIDIA GPU,
# Python 3.12, numpy and CuPy (for CUDA 12 or 13) and no network.
#
#   scripts/gpu_check.sh [--emulated] WHEELS_DIR [OUT_DIR]
#
#   WHEELS_DIR  wheels from scripts/gpu_wheels.sh (installed with pip --no-index; what is already installed is
#               kept); a PyGeNN wheel found there is installed too, and real GeNN's CUDA backend joins the table
#   OUT_DIR     where the table (gpu_check.md) and the log (gpu_check.log) go (default: gpu_check_out)
#   --emulated  the same steps on the SIMT emulation at tiny scales, without a GPU (to know the script works)
#
# Steps: 1. install the wheels; 2. tests/test_cuda.py on the GPU (CUDA against CPU, spike for spike);
# 3. scripts/bench_gpu.py: the full-scale Potjans-Diesmann microcircuit (SPARSE and PROCEDURAL, 10 s) and the
# 64-instance batched DA-STDP network (1 h each), with whatever time is left (each run stops at its share and the
# table says how much biological time it reached).  Environment: PYTHON (interpreter, default python3.12 or
# python3), GPU_CHECK_BUDGET_S (total seconds, default 450).
set -uo pipefail

emulated=0
if [ "${1:-}" = "--emulated" ]; then
    emulated=1
    shift
fi
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
wheels="$1"
out="${2:-gpu_check_out}"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
log="$out/gpu_check.log"
table="$out/gpu_check.md"
: > "$log"
budget="${GPU_CHECK_BUDGET_S:-450}"
start=$(date +%s)
left() { echo $((budget - ($(date +%s) - start))); }
say() { echo "gpu_check: $*" | tee -a "$log" >&2; }

py="${PYTHON:-}"
if [ -z "$py" ]; then  # the first interpreter that runs (a pyenv shim may exist and not run)
    for candidate in python3.12 python3 python; do
        if "$candidate" -c "import sys" > /dev/null 2>&1; then
            py="$(command -v "$candidate")"
            break
        fi
    done
fi
say "python: $("$py" --version 2>&1) ($py); budget ${budget} s; emulated=$emulated"

# 1. install what is missing, from the wheels only
reqs="$(mktemp)"
trap 'rm -f "$reqs"' EXIT
"$py" "$root/scripts/_gpu_requirements.py" > "$reqs"
pip_flags=(--no-index --find-links "$wheels" --disable-pip-version-check -q)
if "$py" -m pip install --help 2>/dev/null | grep -q -- --break-system-packages; then
    pip_flags+=(--break-system-packages)  # a throwaway machine's system Python (PEP 668)
fi
if ! "$py" -m pip install "${pip_flags[@]}" -r "$reqs" >> "$log" 2>&1; then
    say "installing the requirements from $wheels failed (see $log)"
    exit 1
fi
genn_wheel="$(ls "$wheels"/pygenn-*.whl 2>/dev/null | head -1 || true)"
if [ -n "$genn_wheel" ]; then
    "$py" -m pip install "${pip_flags[@]}" --no-deps "$genn_wheel" >> "$log" 2>&1 || say "PyGeNN wheel did not install"
fi
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
export GENN_NEUROMOD_CACHE="$out/cache"
"$py" -c "import genn_neuromod" >> "$log" 2>&1 || { say "genn_neuromod does not import (see $log)"; exit 1; }

if [ $emulated = 1 ]; then
    backend=cuda_emulated
    test_filter=(-k "not 64_independent")  # the 64-instance test takes a minute on the emulation
    bench_args=(--backend cuda_emulated --scale 0.01 --duration 0.01 --batch 2 --distal-duration 0.05 --no-genn)
    test_limit=300
else
    backend=cuda
    test_filter=()
    bench_args=(--backend cuda --scale 1.0 --duration 10 --batch 64 --distal-duration 3600)
    test_limit=180
fi
device="$("$py" - "$backend" <<'EOF' 2>> "$log"
import sys
sys.path.insert(0, "scripts")
from bench_gpu import device_name
print(device_name(sys.argv[1]))
EOF
)"
say "device: ${device:-unknown (see the log)}"

# 2. CUDA against CPU on the device
say "tests/test_cuda.py on $backend (limit ${test_limit} s)"
test_log="$out/test_cuda.txt"
(cd "$root" && GENN_NEUROMOD_TEST_BACKENDS="$backend" timeout "$test_limit" "$py" -m pytest -q -p no:cacheprovider \
    -rfE tests/test_cuda.py "${test_filter[@]}") > "$test_log" 2>&1
test_rc=$?
cat "$test_log" >> "$log"
test_summary="$(grep -E '^[0-9]+ (passed|failed)|(passed|failed|error).* in [0-9.]+s' "$test_log" | tail -1)"
[ $test_rc = 124 ] && test_summary="timed out after ${test_limit} s; ${test_summary}"
say "tests: rc=$test_rc ${test_summary}"

# 3. benchmarks with what is left (30 s kept for writing up)
bench_budget=$(( $(left) - 30 ))
if [ "$bench_budget" -lt 30 ]; then
    say "no time left for the benchmarks"
    bench_rc=1
else
    say "scripts/bench_gpu.py ${bench_args[*]} (budget ${bench_budget} s)"
    (cd "$root/scripts" && timeout $((bench_budget + 20)) "$py" bench_gpu.py "${bench_args[@]}" \
        --time-budget "$bench_budget" --out "$out") >> "$log" 2>&1
    bench_rc=$?
    say "bench: rc=$bench_rc"
fi

{
    echo "# GPU check $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "- commit: $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- device: ${device:-unknown}"
    echo "- python: $("$py" --version 2>&1); cupy: $("$py" -c 'import cupy; print(cupy.__version__)' 2>/dev/null || echo none)"
    echo "- tests/test_cuda.py on $backend: ${test_summary:-no summary (rc $test_rc)}"
    echo
    echo '```'
    cat "$out/bench_gpu.txt" 2>/dev/null || echo "no benchmark rows (rc ${bench_rc})"
    echo '```'
    echo
    echo "total $(( $(date +%s) - start )) s; log: gpu_check.log"
} > "$table"
cat "$table"
[ $test_rc = 0 ] && [ $bench_rc = 0 ]
