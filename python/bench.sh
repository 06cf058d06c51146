#!/usr/bin/env bash
# python/bench.sh BUILD_DIR - runs python/bench.py under /usr/bin/python3
# against BUILD_DIR/libhallmark.so (a `make bench` hook).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "python bench: skipped (/usr/bin/python3 has no torch; make deps installs python3-torch)"
    exit 0
fi
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
OMP_NUM_THREADS=1 HALLMARK_LIB="$build/libhallmark.so" PYTHONPATH="$here" /usr/bin/python3 "$here/bench.py"
