# The shared library exports exactly the public API: every exported symbol
# is hm_*, every HM_API function declared in include/ is exported, and the
# SONAME is libhallmark.so.<major>.
. "$(dirname "$0")/lib.sh"
so=$(ls "$HM_BUILD"/libhallmark.so.*.*.* 2>/dev/null | head -1)
if [ -z "$so" ]; then notok "shared library built"; exit 0; fi
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort > "$TMP/exported"
grep -v '^hm_' "$TMP/exported" > "$TMP/foreign" || true
if [ -s "$TMP/foreign" ]; then notok "only hm_ symbols are exported" "$(head -5 "$TMP/foreign")"; else ok "only hm_ symbols are exported"; fi
grep -h -A3 'HM_API' "$HM_ROOT"/include/hallmark/*.h | tr '\n' ' ' | grep -o 'hm_[a-z0-9_]*(' | tr -d '(' | sort -u > "$TMP/declared"
missing=$(comm -23 "$TMP/declared" "$TMP/exported")
if [ -z "$missing" ]; then ok "every declared HM_API function is exported"; else notok "every declared HM_API function is exported" "missing: $missing"; fi
soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
case "$soname" in libhallmark.so.[0-9]*) ok "SONAME is $soname" ;; *) notok "SONAME" "$soname" ;; esac
