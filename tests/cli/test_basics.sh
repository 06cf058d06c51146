# CLI basics: --help, --version, exit status 2 on misuse.
. "$(dirname "$0")/lib.sh"

expect_status "hallmark --version exits 0" 0 "$HALLMARK" --version
expect_grep "--version prints the version" "^hallmark $(cat "$HM_ROOT/VERSION")" "$TMP/out"
expect_status "hallmark --help exits 0" 0 "$HALLMARK" --help
expect_grep "--help lists commands" "key" "$TMP/out"
expect_status "no arguments is misuse (2)" 2 "$HALLMARK"
expect_grep "misuse explains on stderr" "usage|Usage" "$TMP/err"
expect_status "unknown command is misuse (2)" 2 "$HALLMARK" frobnicate
expect_grep "unknown command is named" "frobnicate" "$TMP/err"
expect_status "unknown option is misuse (2)" 2 "$HALLMARK" --frob
