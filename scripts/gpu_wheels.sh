#!/usr/bin/env bash
# Download, for Python 3.12 on x86-64 Linux, the wheels that scripts/gpu_check.sh installs on a GPU machine that
# has no network and only Python 3.12, numpy and CuPy: the package's dependencies and its test tools.
#
#   scripts/gpu_wheels.sh WHEELS_DIR
#
# To run real GeNN's CUDA backend beside this package, also put a PyGeNN wheel built with its CUDA backend for
# Python 3.12 (GeNN's own build instructions, https://genn-team.github.io/genn/) into WHEELS_DIR.
set -euo pipefail
if [ $# -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
wheels="$1"
mkdir -p "$wheels"
reqs="$(mktemp)"
trap 'rm -f "$reqs"' EXIT
python3 "$here/_gpu_requirements.py" > "$reqs"
python3 -m pip download --dest "$wheels" --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_28_x86_64 -r "$reqs"
echo "gpu_wheels: $(ls "$wheels" | wc -l) wheels in $wheels for: $(tr '\n' ' ' < "$reqs")"
