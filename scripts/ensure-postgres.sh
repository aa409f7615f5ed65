#!/usr/bin/env bash
# Makes sure the PostgreSQL server the tests use is up; starts the local cluster if not.
# Fails loudly when it cannot be reached, so a test run never silently skips PostgreSQL.
set -euo pipefail
url="${EFA_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
host=127.0.0.1
port=5432
ready() {
  if command -v pg_isready >/dev/null 2>&1; then pg_isready -q -h "$host" -p "$port"; else (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; fi
}
if ready; then exit 0; fi
echo "PostgreSQL is not answering on $host:$port; trying to start the local cluster" >&2
if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
for _ in $(seq 1 50); do
  if ready; then echo "PostgreSQL is up" >&2; exit 0; fi
  sleep 0.2
done
echo "ERROR: PostgreSQL is required for the tests ($url) and could not be reached or started." >&2
echo "       Install it (apt-get install postgresql) or point EFA_TEST_PG_URL at a server with trust auth." >&2
exit 1
