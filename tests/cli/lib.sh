# tests/cli/lib.sh - helpers for CLI tests (sourced by tests/cli/test_*.sh).
#
# $HALLMARK is the CLI under test; $HM_ROOT the source tree; $TMP a scratch
# directory removed on exit.  Each check prints "ok - name" or
# "not ok - name" plus "# ..." diagnostics.
set -u
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export HALLMARK_PASSPHRASE_TEST_ONLY=1

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# expect_status NAME STATUS CMD...: runs CMD (stdout to $TMP/out, stderr to
# $TMP/err) and checks its exit status.
expect_status() {
    local name=$1 want=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name"; else
        notok "$name" "exit status $rc, wanted $want: $*" "stderr: $(head -c 400 "$TMP/err")"
    fi
}

# expect_grep NAME PATTERN FILE: FILE contains a line matching PATTERN (ERE).
expect_grep() {
    if grep -Eq -- "$2" "$3"; then ok "$1"; else
        notok "$1" "no match for /$2/ in $3:" "$(head -c 400 "$3")"
    fi
}

# expect_no_grep NAME PATTERN FILE
expect_no_grep() {
    if grep -Eq -- "$2" "$3"; then notok "$1" "unexpected match for /$2/ in $3"; else ok "$1"; fi
}

# expect_same NAME FILE1 FILE2
expect_same() {
    if cmp -s "$2" "$3"; then ok "$1"; else notok "$1" "$2 and $3 differ"; fi
}

# json_get FILE EXPR: evaluates a Python expression on the parsed JSON `j`.
json_get() {
    /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
