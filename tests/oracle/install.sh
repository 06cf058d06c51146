#!/usr/bin/env bash
# tests/oracle/install.sh - installs the pinned node oracle packages of
# package.json into tests/oracle/node_modules (run by `make deps`).
# Idempotent: does nothing when every package is present at its pinned
# version.  Fails with a clear message when the npm registry is unreachable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "oracles: node and npm are required (make deps installs them)" >&2
    exit 1
fi
if node -e '
const p = require("./package.json");
for (const [n, v] of Object.entries(p.dependencies)) {
  let got; try { got = require("./node_modules/" + n + "/package.json").version; } catch (e) { process.exit(1); }
  if (got !== v) process.exit(1);
}' 2>/dev/null; then exit 0; fi
echo "oracles: npm install (pinned versions of tests/oracle/package.json)"
if ! npm install --no-save --no-package-lock --no-audit --no-fund --silent >/dev/null 2>npm-install.err; then
    echo "oracles: npm install failed (offline?):" >&2
    cat npm-install.err >&2
    rm -f npm-install.err
    exit 1
fi
rm -f npm-install.err
