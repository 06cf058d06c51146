# `hallmark key`: round trips, passphrase sources, --force, file modes, every
# error class (status 2 and a message naming it), derivation checked against
# an independent Python computation, and no secret in any output.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
unset HALLMARK_PASSPHRASE
cd "$TMP" || exit 1
LOG="$TMP/all-output.log"
: >"$LOG"

# st NAME STATUS CMD...: expect_status, then keep stdout+stderr for the
# final "no secret in any output" check.
st() {
    expect_status "$@"
    cat "$TMP/out" "$TMP/err" >>"$LOG"
}

field() { sed -n "s/^$1: //p" "$2"; }
mode_of() { stat -c %a "$1"; }

printf 'first passphrase\n' >pw
printf 'wrong passphrase\n' >pw-wrong

# --- help and misuse ---------------------------------------------------------
st "key --help exits 0" 0 "$HALLMARK" key --help
expect_grep "key --help lists verify-derived" "verify-derived" "$TMP/out"
for sub in new new-signing info commit derive verify-derived pubkey; do
    st "key $sub --help exits 0" 0 "$HALLMARK" key "$sub" --help
    expect_grep "key $sub --help shows usage" "^Usage: hallmark key $sub" "$TMP/out"
done
st "key without subcommand is misuse" 2 "$HALLMARK" key
st "unknown key subcommand is misuse" 2 "$HALLMARK" key frob
expect_grep "unknown subcommand is named" "frob" "$TMP/err"
st "new without --out is misuse" 2 "$HALLMARK" key new --insecure-no-passphrase
st "unknown option is misuse" 2 "$HALLMARK" key new --out x --bogus
st "bad --kdf is misuse" 2 "$HALLMARK" key new --out x --kdf fast
st "option of another subcommand is misuse" 2 "$HALLMARK" key info --tenant x m.key
expect_grep "misapplied option is named" "tenant" "$TMP/err"

# --- insecure master: the raw key for the leak checks -------------------------
st "new --insecure-no-passphrase" 0 "$HALLMARK" key new --out m.key --insecure-no-passphrase
expect_grep "insecure new warns" "UNENCRYPTED" "$TMP/err"
MID=$(cat "$TMP/out")
expect_grep "insecure file says so" "^Warning: UNENCRYPTED - FOR TESTS ONLY$" m.key
expect_grep "key file records its id" "^Key-Id: $MID$" m.key
if [ "$(mode_of m.key)" = 600 ]; then ok "key file is mode 0600"; else notok "key file is mode 0600" "mode $(mode_of m.key)"; fi
MSECRET=$(field Secret m.key)
SECRETS="$MSECRET"

st "info on an insecure key needs no passphrase" 0 "$HALLMARK" key info m.key
expect_grep "info prints the key id" "^key id: +$MID$" "$TMP/out"
expect_grep "info prints the kind" "^kind: +master$" "$TMP/out"
expect_grep "info prints the creation time" "^created: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" "$TMP/out"
expect_grep "info marks the key unencrypted" "UNENCRYPTED" "$TMP/out"

# Commitment: BLAKE2b-256("hallmark-key-commitment-v1\0" || 0x01 || key),
# computed here independently.
WANT_COMMIT=$($PY -c 'import hashlib,sys; print(hashlib.blake2b(b"hallmark-key-commitment-v1\0\x01"+bytes.fromhex(sys.argv[1]),digest_size=32).hexdigest())' "$MSECRET")
WANT_ID=$($PY -c 'import hashlib,sys; print(hashlib.blake2b(b"hallmark-key-id-v1\0\x01"+bytes.fromhex(sys.argv[1]),digest_size=32).hexdigest()[:16])' "$MSECRET")
if [ "$MID" = "$WANT_ID" ]; then ok "key id matches the documented formula"; else notok "key id matches the documented formula" "$MID != $WANT_ID"; fi
st "commit prints a record" 0 "$HALLMARK" key commit m.key
cp "$TMP/out" commit.json
if [ "$(json_get commit.json 'j["type"]')" = hallmark-key-commitment ] &&
   [ "$(json_get commit.json 'j["version"]')" = 1 ] &&
   [ "$(json_get commit.json 'j["key_id"]')" = "$MID" ] &&
   [ "$(json_get commit.json 'j["algorithm"]')" = blake2b-256 ] &&
   [ "$(json_get commit.json 'j["kind"]')" = master ] &&
   [ "$(json_get commit.json 'isinstance(j["created_unix"], str)')" = True ]; then
    ok "commit record fields"
else
    notok "commit record fields" "$(cat commit.json)"
fi
if [ "$(json_get commit.json 'j["commitment"]')" = "$WANT_COMMIT" ]; then ok "commitment matches the documented formula"; else notok "commitment matches the documented formula" "want $WANT_COMMIT"; fi
st "info --json" 0 "$HALLMARK" key info m.key --json
cp "$TMP/out" info.json
if [ "$(json_get info.json 'j["commitment"]')" = "$WANT_COMMIT" ] && [ "$(json_get info.json 'j["protection"]')" = none ]; then
    ok "info --json fields"; else notok "info --json fields" "$(cat info.json)"; fi

# --- encrypted master: passphrase from a file and from the environment -----
st "new with --passphrase-file" 0 "$HALLMARK" key new --out e.key --passphrase-file pw --kdf interactive
EID=$(cat "$TMP/out")
expect_grep "encrypted file names its protection" "^Protection: argon2id-xchacha20poly1305$" e.key
expect_no_grep "encrypted file has no warning" "UNENCRYPTED" e.key
if [ "$(mode_of e.key)" = 600 ]; then ok "encrypted key file is mode 0600"; else notok "encrypted key file is mode 0600" "mode $(mode_of e.key)"; fi
st "info with --passphrase-file" 0 "$HALLMARK" key info e.key --passphrase-file pw
expect_grep "round trip keeps the key id" "^key id: +$EID$" "$TMP/out"
HALLMARK_PASSPHRASE="first passphrase" st "info with HALLMARK_PASSPHRASE" 0 "$HALLMARK" key info e.key
expect_grep "env passphrase opens the key" "^key id: +$EID$" "$TMP/out"
HALLMARK_PASSPHRASE="first passphrase" st "new with HALLMARK_PASSPHRASE" 0 "$HALLMARK" key new --out env.key --kdf interactive
st "env-made key opens with the file passphrase" 0 "$HALLMARK" key info env.key --passphrase-file pw
st "default KDF is moderate" 0 "$HALLMARK" key new --out mod.key --passphrase-file pw
expect_grep "moderate = 256 MiB" "^KDF-Memlimit: 268435456$" mod.key

st "wrong passphrase is an error" 2 "$HALLMARK" key info e.key --passphrase-file pw-wrong
expect_grep "wrong passphrase is named" "wrong passphrase" "$TMP/err"
HALLMARK_PASSPHRASE="nope" st "wrong env passphrase is an error" 2 "$HALLMARK" key commit e.key
expect_grep "wrong env passphrase is named" "wrong passphrase" "$TMP/err"
if command -v setsid >/dev/null 2>&1; then
    setsid -w "$HALLMARK" key info e.key </dev/null >"$TMP/out" 2>"$TMP/err"
    rc=$?
    cat "$TMP/out" "$TMP/err" >>"$LOG"
    if [ "$rc" = 2 ] && grep -q "no passphrase" "$TMP/err"; then ok "no passphrase source is an error"; else notok "no passphrase source is an error" "status $rc: $(cat "$TMP/err")"; fi
fi
st "missing passphrase file is an error" 2 "$HALLMARK" key info e.key --passphrase-file nonexistent

# --- refusing to overwrite -------------------------------------------------------
cp m.key m.key.orig
st "new refuses to overwrite" 2 "$HALLMARK" key new --out m.key --insecure-no-passphrase
expect_grep "overwrite refusal names --force" "force" "$TMP/err"
expect_same "refused overwrite leaves the file" m.key m.key.orig
st "new --force overwrites" 0 "$HALLMARK" key new --out over.key --insecure-no-passphrase
st "new --force overwrites (2)" 0 "$HALLMARK" key new --out over.key --insecure-no-passphrase --force
SECRETS="$SECRETS $(field Secret over.key)"

# --- damaged files: each class gives status 2 and names itself ----------------
head -c 200 m.key >trunc.key
st "truncated file is an error" 2 "$HALLMARK" key info trunc.key
expect_grep "truncation is named" "truncated" "$TMP/err"
: >empty.key
st "empty file is an error" 2 "$HALLMARK" key info empty.key
sed 's/^Kind: master$/Kind: mastex/' m.key >tampered.key
st "tampered file is an error" 2 "$HALLMARK" key info tampered.key
expect_grep "tampering is named" "modified or damaged" "$TMP/err"
sed 's/^Version: 1$/Version: 7/' m.key >v7.key
st "unknown version is an error" 2 "$HALLMARK" key info v7.key
expect_grep "unknown version is named" "unsupported key file version" "$TMP/err"
printf '{"not": "a key"}\n' >json.key
st "foreign file is an error" 2 "$HALLMARK" key info json.key
expect_grep "foreign file is named" "not a Hallmark key file" "$TMP/err"
st "missing file is an error" 2 "$HALLMARK" key info nonexistent.key
sed 's/^Kind: master$/Kind: mastex/' e.key >tampered-e.key
st "tampered encrypted file is corrupt, not a wrong passphrase" 2 "$HALLMARK" key info tampered-e.key --passphrase-file pw
expect_grep "tampered encrypted file is named" "modified or damaged" "$TMP/err"

# A crafted file (checksum recomputed) asking for 1 TiB of Argon2id memory.
$PY - e.key huge.key <<'EOF'
import hashlib, re, sys
t = open(sys.argv[1], "rb").read()
t = re.sub(rb"KDF-Memlimit: [0-9]+\n", b"KDF-Memlimit: 1099511627776\n", t)
head = t[: t.index(b"Checksum: ")]
t = head + b"Checksum: " + hashlib.blake2b(head, digest_size=32).hexdigest().encode() + b"\n" + t[t.index(b"-----END"):]
open(sys.argv[2], "wb").write(t)
EOF
st "absurd Argon2id parameters are refused" 2 "$HALLMARK" key info huge.key --passphrase-file pw
expect_grep "absurd parameters are named" "Argon2id parameters that hallmark never writes" "$TMP/err"

# Every byte of a key file, changed, is detected by the CLI (every 7th byte
# under the sanitizers, where each run costs a slow start-up; the unit tests
# cover every byte and several values either way).
stride=1
[ -n "${HM_SANITIZED:-}" ] && stride=7
$PY - m.key "$stride" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), int(sys.argv[2])):
    b = bytearray(data)
    b[i] ^= 0x01
    open("mut-%04d.key" % i, "wb").write(bytes(b))
EOF
bad=0
for f in mut-*.key; do
    "$HALLMARK" key info "$f" >"$TMP/out" 2>"$TMP/err" </dev/null
    rc=$?
    if [ "$rc" != 2 ] || ! grep -Eq "corrupt|not a Hallmark key file|version" "$TMP/err"; then
        bad=$((bad + 1))
        [ "$bad" -le 3 ] && echo "# $f: status $rc: $(cat "$TMP/err")"
    fi
done
rm -f mut-*.key
if [ "$bad" = 0 ]; then ok "every single-byte change is detected (CLI, stride $stride)"; else notok "every single-byte change is detected (CLI)" "$bad undetected"; fi

# --- derivation ------------------------------------------------------------------
st "derive from an insecure master" 0 "$HALLMARK" key derive m.key --tenant "acme corp" --epoch 7 --out d.key --insecure-no-passphrase
DID=$(cat "$TMP/out")
WANT_D=$($PY -c '
import hashlib,struct,sys
m=bytes.fromhex(sys.argv[1]); t=sys.argv[2].encode(); e=int(sys.argv[3])
print(hashlib.blake2b(b"hallmark-derive-v1\0"+struct.pack("<I",len(t))+t+struct.pack("<Q",e),key=m,digest_size=32).hexdigest())' "$MSECRET" "acme corp" 7)
if [ "$(field Secret d.key)" = "$WANT_D" ]; then ok "derived key matches the documented formula"; else notok "derived key matches the documented formula" "want $WANT_D"; fi
SECRETS="$SECRETS $WANT_D"
expect_grep "derived file records its master" "^Parent-Id: $MID$" d.key
expect_grep "derived file records its tenant" "^Tenant: acme corp$" d.key
expect_grep "derived file records its epoch" "^Epoch: 7$" d.key
st "info on a derived key" 0 "$HALLMARK" key info d.key
expect_grep "info shows the derivation path" "^tenant: +acme corp$" "$TMP/out"
expect_grep "info shows the parent id" "^parent id: +$MID$" "$TMP/out"
st "verify-derived --master" 0 "$HALLMARK" key verify-derived --master m.key d.key
expect_grep "verify-derived says ok" "^ok: $DID" "$TMP/out"
st "verify-derived MASTER DERIVED" 0 "$HALLMARK" key verify-derived m.key d.key
st "verify-derived against another master fails (1)" 1 "$HALLMARK" key verify-derived over.key d.key
expect_grep "mismatch is reported" "mismatch" "$TMP/out"
st "derive needs --tenant" 2 "$HALLMARK" key derive m.key --out x.key --insecure-no-passphrase
st "derive rejects a control character in the tenant" 2 "$HALLMARK" key derive m.key --tenant "$(printf 'a\tb')" --out x.key --insecure-no-passphrase
expect_grep "bad tenant is named" "tenant" "$TMP/err"
st "derive rejects invalid UTF-8" 2 "$HALLMARK" key derive m.key --tenant "$(printf 'a\377')" --out x.key --insecure-no-passphrase
st "derive rejects a bad epoch" 2 "$HALLMARK" key derive m.key --tenant a --epoch -3 --out x.key --insecure-no-passphrase
st "derive from a derived key is refused" 2 "$HALLMARK" key derive d.key --tenant a --out x.key --insecure-no-passphrase
st "verify-derived with a non-derived key is an error" 2 "$HALLMARK" key verify-derived m.key over.key
st "derive UTF-8 tenant, encrypted, from an encrypted master" 0 "$HALLMARK" key derive e.key --tenant "café-東京" --epoch 18446744073709551615 --out de.key --passphrase-file pw --kdf interactive
expect_grep "UTF-8 tenant kept" "^Tenant: café-東京$" de.key
st "verify encrypted derived key" 0 "$HALLMARK" key verify-derived --master e.key de.key --passphrase-file pw
st "commit on a derived key" 0 "$HALLMARK" key commit de.key --passphrase-file pw
cp "$TMP/out" dcommit.json
if [ "$(json_get dcommit.json 'j["epoch"]')" = 18446744073709551615 ] && [ "$(json_get dcommit.json 'j["tenant"]')" = "café-東京" ]; then
    ok "derived commit records the path"; else notok "derived commit records the path" "$(cat dcommit.json)"; fi

# --- signing keys --------------------------------------------------------------
st "new-signing" 0 "$HALLMARK" key new-signing --out sig --passphrase-file pw --kdf interactive
SID=$(cat "$TMP/out")
if [ -f sig ] && [ -f sig.pub ]; then ok "new-signing writes PREFIX and PREFIX.pub"; else notok "new-signing writes PREFIX and PREFIX.pub"; fi
if [ "$(mode_of sig)" = 600 ]; then ok "signing key is mode 0600"; else notok "signing key is mode 0600" "mode $(mode_of sig)"; fi
expect_grep "public key file" "^-----BEGIN HALLMARK PUBLIC KEY-----$" sig.pub
st "info on a public key needs no passphrase" 0 "$HALLMARK" key info sig.pub
expect_grep "public key shares the signing key id" "^key id: +$SID$" "$TMP/out"
st "info on a signing key" 0 "$HALLMARK" key info sig --passphrase-file pw
expect_grep "signing key kind" "^kind: +signing$" "$TMP/out"
st "pubkey reproduces PREFIX.pub" 0 "$HALLMARK" key pubkey sig --passphrase-file pw
expect_same "pubkey output equals PREFIX.pub" "$TMP/out" sig.pub
st "new-signing refuses to overwrite" 2 "$HALLMARK" key new-signing --out sig --passphrase-file pw
st "pubkey of a watermark key is an error" 2 "$HALLMARK" key pubkey m.key
st "new-signing --insecure-no-passphrase" 0 "$HALLMARK" key new-signing --out isig --insecure-no-passphrase
SECRETS="$SECRETS $(field Secret isig)"
st "verify-derived rejects a signing key" 2 "$HALLMARK" key verify-derived isig d.key

# --- no command ever printed a secret -------------------------------------------
leaks=0
for s in $SECRETS; do
    b64=$($PY -c 'import base64,sys; b=bytes.fromhex(sys.argv[1]); print(base64.b64encode(b).decode()); print(base64.urlsafe_b64encode(b).decode().rstrip("="))' "$s")
    for pat in "$s" "$(echo "$s" | tr a-f A-F)" "${s:0:16}" $b64; do
        if grep -qF -- "${pat%%=*}" "$LOG"; then
            leaks=$((leaks + 1))
            echo "# secret material found in output: ${pat:0:8}..."
        fi
    done
done
if [ "$leaks" = 0 ] && [ -s "$LOG" ]; then ok "no secret appears in any output"; else notok "no secret appears in any output" "$leaks leaks"; fi
