#!/usr/bin/env bash
# tests/run.sh BUILD_DIR - runs every test and prints the closing line
# "N passed, N failed".
#
# Runs the unit-test binary (BUILD_DIR/tests/unit) and then every
# tests/cli/test_*.sh script.  Each prints TAP-style "ok - name" and
# "not ok - name" lines; this script counts them.  A suite that crashes or
# exits non-zero without reporting a failure counts as one failure of its own,
# so a crash can never pass silently.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
export HM_TEST_DIR="$here"
export HALLMARK="$(cd "$build" && pwd)/hallmark"
export HM_BUILD="$(cd "$build" && pwd)"
export HM_ROOT="$(cd "$here/.." && pwd)"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_suite() { # name, command...
    local name=$1; shift
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    cat "$log"
    local p f
    p=$(grep -c '^ok - ' "$log")
    f=$(grep -c '^not ok - ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited with status $rc"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    echo "# $name: $p passed, $f failed ($((SECONDS - start)) s)"
}

run_suite unit "$build/tests/unit"
for t in "$here"/cli/test_*.sh; do
    [ -e "$t" ] || continue
    run_suite "$(basename "$t" .sh)" bash "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
