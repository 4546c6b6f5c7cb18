#!/usr/bin/env bash
# Builds and tests the web app (frontend/): a clean install from
# package-lock.json, the production build (GraphQL codegen from
# schema/schema.graphql, strict type check, Vite), the Vitest unit and
# component tests, and the end-to-end tests in Debian's headless Chromium
# against the real server (ODG_BIN, default the debug build that
# scripts/test.sh has just made).
#
# Needs Node.js 20.19+ and npm; only the npm registry is used. Installs the
# Debian package chromium (as root or with sudo) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "frontend-test: Node.js 20.19 or later is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing chromium (Debian package, for the end-to-end tests)"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

export ODG_BIN="${ODG_BIN:-${CARGO_TARGET_DIR:-/var/tmp/odg-target}/debug/odg}"
cd frontend
echo "==> npm ci"
npm ci --no-audit --no-fund
echo "==> npm run build (codegen, tsc, vite)"
npm run build
echo "==> npm test (vitest)"
npm test
echo "==> npm run e2e (Chromium against $ODG_BIN)"
npm run e2e
