#!/usr/bin/env bash
# Runs the browser tests (e2e/browser/*.test.mjs) with Node's built-in test runner, one file
# at a time: each file starts its own efa, OpenID provider and headless Chromium.
#   bash e2e/browser/run.sh                      # all files
#   bash e2e/browser/run.sh e2e/browser/x.test.mjs   # some files
# Needs: Node >= 20, Debian's /usr/bin/chromium (`make browser`), the npm dev dependencies in
# node_modules (`make assets`), and a built efa binary (`cargo build -p efa`, or EFA_BIN).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

fail() { echo "ERROR: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node (>= 20) is required for the browser tests"
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || fail "Node $(node --version) is too old for the browser tests; Node >= 20 is required"
chromium="${CHROMIUM_BIN:-/usr/bin/chromium}"
[ -x "$chromium" ] || fail "Chromium is missing at $chromium; \`make browser\` installs Debian's chromium"
for pkg in playwright-core @axe-core/playwright oidc-provider; do
  [ -f "node_modules/$pkg/package.json" ] || fail "node_modules/$pkg is missing; \`make assets\` installs the npm dev dependencies (npm ci)"
done

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  shopt -s nullglob
  files=(e2e/browser/*.test.mjs)
  shopt -u nullglob
fi
[ "${#files[@]}" -gt 0 ] || fail "no browser test files (e2e/browser/*.test.mjs)"

started=$SECONDS
set +e
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo >&2
  echo "BROWSER TESTS FAILED (exit $status, $((SECONDS - started)) s): see the failing test's message above;" >&2
  echo "efa's log is shown with a start-up failure; set EFA_BROWSER_KEEP=1 to keep its temp dir (serve.log), OIDC_DEBUG=1 for the provider's own messages." >&2
  exit "$status"
fi
echo "browser tests passed (${#files[@]} file(s), $((SECONDS - started)) s)"
