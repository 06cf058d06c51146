# verify/report.mk - evidence reports (report.json / .sig / .html, RFC 3161
# timestamps, custody log).  The CLI tests render report.html in headless
# Chromium and run a throwaway TSA with `openssl ts`; strace shows that
# `report verify` starts no process; python3-jsonschema validates results
# against docs/result.schema.json; python3-cryptography re-signs hand-edited
# reports in the hostile-report tests.
DEB_PKGS += chromium openssl strace python3-jsonschema python3-cryptography
FUZZ_TARGETS += fuzz_report
