#!/usr/bin/env bash
# samples/scan-bench.sh BUILD_DIR - `make bench` hook: throughput and peak RSS
# of `hallmark scan` with 1 and 2 threads on a corpus of at least 50 MB (the
# KJV, one chapter per line, repeated), beside `hallmark tokenize` on the same
# text in the same run.  Prints one line per measurement and the ratio
# scan(1 thread) / tokenize (target <= 1.25) and the peak RSS (target < 100 MB).
set -euo pipefail
build=$(cd "${1:?usage: scan-bench.sh BUILD_DIR}" && pwd)
HM="$build/hallmark"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! command -v bible >/dev/null || ! "$HM" tokenize --tokenizer cl100k_base </dev/null >/dev/null 2>&1; then
    echo "scan-bench: skipped (needs bible-kjv and the cl100k_base tokenizer: make deps)"
    exit 0
fi
bible -f "Gen1:1-Rev22:21" </dev/null | awk '
  { ref = $1; sub(/:[0-9]+$/, "", ref); text = $0; sub(/^[^ ]+ /, "", text);
    if (ref != cur) { if (cur != "") print line; cur = ref; line = text } else line = line " " text }
  END { print line }' > "$work/kjv.txt"
: > "$work/corpus.txt"
while [ "$(stat -c %s "$work/corpus.txt")" -lt 52428800 ]; do cat "$work/kjv.txt" >> "$work/corpus.txt"; done
bytes=$(stat -c %s "$work/corpus.txt")
docs=$(wc -l < "$work/corpus.txt")
"$HM" key new --out "$work/k.key" --insecure-no-passphrase >/dev/null 2>&1
echo "scan-bench: corpus $((bytes / 1000000)) MB, $docs documents (KJV chapters, plain text)"

calc() { awk "BEGIN { print $1 }"; }

# measure LABEL CMD...: wall seconds, user CPU seconds and peak RSS (kB) into
# $secs / $user / $rss.  On a shared machine the user CPU time varies less.
measure() {
    local label=$1; shift
    local rc=0
    /usr/bin/time -f "%e %U %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || rc=$?
    # scan exits 1 for "nothing detected" (the KJV is not watermarked)
    [ "$rc" -le 1 ] || { echo "scan-bench: $label failed: $(head -c 300 "$work/err")"; exit 2; }
    # GNU time puts "Command exited with non-zero status 1" before the figures
    read -r secs user rss < <(tail -n 1 "$work/time")
}
measure tokenize "$HM" tokenize --tokenizer cl100k_base "$work/corpus.txt"
tok_s=$secs; tok_u=$user; tok_rss=$rss
ntok=$("$HM" tokenize --tokenizer cl100k_base "$work/corpus.txt" | wc -w)
printf 'scan-bench: tokenize          %6.2f s (user %5.2f s)  %7.1f MB/s  %6.2f Mtok/s  peak RSS %4d MB\n' \
    "$tok_s" "$tok_u" "$(calc "$bytes / $tok_s / 1000000")" "$(calc "$ntok / $tok_s / 1000000")" $((tok_rss / 1024))
for t in 1 2; do
    measure "scan $t" "$HM" scan --key "$work/k.key" --scheme kgw --tokenizer cl100k_base \
        --threads $t --tmpdir "$work" --out "$work/r$t.jsonl" "$work/corpus.txt"
    printf 'scan-bench: scan, %d thread%s   %6.2f s (user %5.2f s)  %7.1f MB/s  %6.2f Mtok/s  peak RSS %4d MB\n' \
        $t "$([ $t = 1 ] && echo ' ' || echo s)" "$secs" "$user" "$(calc "$bytes / $secs / 1000000")" \
        "$(calc "$ntok / $secs / 1000000")" $((rss / 1024))
    [ $t = 1 ] && { s1=$secs; u1=$user; rss1=$rss; }
done
printf 'scan-bench: scan(1 thread) / tokenize = %.2f wall, %.2f user CPU (target <= 1.25); scan peak RSS %d MB (target < 100)\n' \
    "$(calc "$s1 / $tok_s")" "$(calc "$u1 / $tok_u")" $((rss1 / 1024))
