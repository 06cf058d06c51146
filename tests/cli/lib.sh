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

# fixed_key FILE LABEL: writes an unencrypted master key whose secret is
# BLAKE2b-256(LABEL), in key-file format v1 (docs/formats.md), written with
# Python's hashlib as tests/vectors/keys/make_vectors.py does.  Tests whose
# outcome is statistical use such keys instead of `key new`, so that every
# run of the suite sees the same text and the same p-values.
fixed_key() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import hashlib, sys
secret = hashlib.blake2b(sys.argv[2].encode(), digest_size=32).digest()
kid = hashlib.blake2b(b"hallmark-key-id-v1\0\x01" + secret, digest_size=32).digest()[:8].hex()
body = (b"-----BEGIN HALLMARK KEY-----\nVersion: 1\nKind: master\nKey-Id: " + kid.encode() +
        b"\nCreated: 2023-11-14T22:13:20Z\nProtection: none\nWarning: UNENCRYPTED - FOR TESTS ONLY\n"
        b"Secret: " + secret.hex().encode() + b"\n")
body += b"Checksum: " + hashlib.blake2b(body, digest_size=32).hexdigest().encode() + b"\n"
open(sys.argv[1], "wb").write(body + b"-----END HALLMARK KEY-----\n")
PY
}

# small_model OUT: a first-order sample model over 300 token ids (299 = EOS),
# trained on seeded random ids, for tests that need marked token ids
# without a tokenizer.
small_model() {
    /usr/bin/python3 - > "$TMP/small-model-train.ids" <<'PY'
import random
r = random.Random(5)
for d in range(200):
    print(" ".join(str(r.randrange(299)) for _ in range(50)))
PY
    "$HM_BUILD/samples/train-lm" --order 1 --vocab 300 --eos 299 --quiet --out "$1" "$TMP/small-model-train.ids"
}
