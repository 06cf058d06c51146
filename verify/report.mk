# verify/report.mk - evidence reports (report.json / .sig / .html, RFC 3161
# timestamps, custody log).  The CLI tests render report.html in headless
# Chromium and run a throwaway TSA with `openssl ts`.
DEB_PKGS += chromium openssl
FUZZ_TARGETS += fuzz_report
