#!/usr/bin/env bash
# tests/cli/test_python.sh - the hallmark Python package (python/) under
# /usr/bin/python3 with Debian torch: its unittest suite (python/tests,
# including generation with the sample neural model through the HF-style
# processor and detection of the output), then a pip install into a venv.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
lib="$HM_BUILD/libhallmark.so"
export HM_NEURAL_DIR=${HM_NEURAL_DIR:-$HM_ROOT/build/neural}
export OMP_NUM_THREADS=1
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
pre=""
if [ -n "${HM_SANITIZED:-}" ]; then
    # libhallmark.so is built with ASan here: the runtime must come first.
    pre=$(${CC:-cc} -print-file-name=libasan.so)
    export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
fi
run_py() { LD_PRELOAD=$pre HALLMARK_LIB=$lib "$@"; }

if ! $py -c 'import torch, numpy' 2>/dev/null; then
    notok "python: /usr/bin/python3 imports torch and numpy" "make deps installs python3-torch"
    exit 0
fi
PYTHONPATH="$HM_ROOT/python" run_py $py "$HM_ROOT/python/tests/tap.py"

# pip install from a copy of the tree's python/ (pip writes build files there)
cp -r "$HM_ROOT/python" "$TMP/pkg"
rm -rf "$TMP/pkg/build" "$TMP/pkg"/*.egg-info "$TMP/pkg/hallmark/_libpath.py"
if $py -m venv --system-site-packages "$TMP/venv" >"$TMP/venv.log" 2>&1 &&
   "$TMP/venv/bin/pip" install -q --no-build-isolation --no-index "$TMP/pkg" >"$TMP/pip.log" 2>&1; then
    ok "python: pip install --no-build-isolation --no-index into a venv"
else
    notok "python: pip install --no-build-isolation --no-index into a venv" "$(tail -5 "$TMP/venv.log" "$TMP/pip.log")"
fi
cd "$TMP"
run_py "$TMP/venv/bin/python" -c '
import hallmark, hallmark.hf, sys
assert "venv" in hallmark.__file__, hallmark.__file__
k = hallmark.Key.generate()
e = hallmark.Embedder("kgw", k, vocab=1000)
print(hallmark.version(), e.describe())' >"$TMP/out" 2>"$TMP/err"
if grep -q "kgw-v1" "$TMP/out"; then ok "python: the venv-installed package works"; else
    notok "python: the venv-installed package works" "$(head -c 400 "$TMP/err")"; fi
env -u HALLMARK_LIB LD_PRELOAD=$pre LD_LIBRARY_PATH=/nonexistent "$TMP/venv/bin/python" -c '
import hallmark' >"$TMP/out" 2>"$TMP/err"
# without HALLMARK_LIB and outside the tree it must either find an installed
# library or say how to point at one
if [ -s "$TMP/err" ] && ! grep -q "HALLMARK_LIB" "$TMP/err"; then
    notok "python: a missing library is explained" "$(head -c 400 "$TMP/err")"
else ok "python: a missing library is explained"; fi
