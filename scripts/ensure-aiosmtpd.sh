#!/usr/bin/env bash
# Installs aiosmtpd, pinned with its dependencies, from PyPI into the repository's .venv (the one
# scripts/build-assets.sh and fuzz/run.sh use; created when missing): the SMTP server that the
# e-mail test (e2e/tests/mail.rs) starts and sends to. Quiet and quick when it is there already.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=$(pwd)/.venv
PY=$VENV/bin/python

AIOSMTPD_VERSION=1.4.6
ATPUBLIC_VERSION=9.0.0
ATTRS_VERSION=26.1.0

die() {
    echo "ensure-aiosmtpd: ERROR: $*" >&2
    exit 1
}

installed() {
    [[ -x $PY ]] && "$PY" - "$AIOSMTPD_VERSION" 2>/dev/null <<'PYEOF'
import sys, importlib.metadata as m
import aiosmtpd.smtp  # noqa: F401  (importable, not only listed)
sys.exit(0 if m.version("aiosmtpd") == sys.argv[1] else 1)
PYEOF
}

installed && exit 0
# One install at a time (two make runs in one tree).
exec 9<"${BASH_SOURCE[0]}"
flock 9
installed && exit 0
if [[ ! -x $PY ]]; then
    python3 -m venv "$VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "installing aiosmtpd $AIOSMTPD_VERSION into .venv (PyPI) for the e-mail test" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "aiosmtpd==$AIOSMTPD_VERSION" "atpublic==$ATPUBLIC_VERSION" "attrs==$ATTRS_VERSION" >"$log" 2>&1 || {
    cat "$log" >&2
    die "pip could not install aiosmtpd $AIOSMTPD_VERSION (its output is above)"
}
installed || die "aiosmtpd $AIOSMTPD_VERSION is not importable from .venv after installing it"
