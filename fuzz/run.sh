#!/usr/bin/env bash
# Spec-driven fuzzing of the real `efa` binary with schemathesis.
#
# Builds the binary, starts it on a free port with a fresh SQLite file (migrate + seed) in a
# temporary folder, and runs schemathesis against its own /openapi.json: every operation, every
# phase (examples, coverage, fuzzing, stateful with links inferred from Location headers and
# schema dependencies), once anonymously and once per role with a bearer token minted with the
# local development key. Every response is checked for: no server error, a documented status
# code, the documented content type and headers, and a body that matches the response schema.
# The server's own request counters (/metrics) give the number of requests and are a second
# check that no 5xx was answered.
#
# Usage:
#   fuzz/run.sh            long run (make fuzz): at least FUZZ_MIN_REQUESTS requests, every role
#   fuzz/run.sh --short    short run for make test: a few hundred requests, under 2 minutes
#
# Environment:
#   FUZZ_EXAMPLES      max generated examples per operation and phase
#                      (default: 2 with --short, 40 in the long run)
#   FUZZ_PHASES        schemathesis phases (default: examples,fuzzing,stateful with --short,
#                      all four with coverage in the long run)
#   FUZZ_SEED          schemathesis seed, to reproduce a run (default: random, printed)
#   FUZZ_WORKERS       schemathesis workers (default 1, see below)
#   FUZZ_MIN_REQUESTS  fail when fewer requests were made (default 5000; 100 with --short)
#   FUZZ_PROFILE       cargo profile of the server: dev (default, keeps overflow checks and
#                      debug assertions on, so more bugs surface as 500) or release
#   FUZZ_KEEP=1        keep the temporary folder (database, server log, reports) after success
#
# Exits non-zero on any failure; the server is always stopped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

SCHEMATHESIS_VERSION=4.32.5

die() {
    echo "fuzz: ERROR: $*" >&2
    exit 1
}
log() { echo "fuzz: $*" >&2; }

MODE=long
case "${1:-}" in
    "") ;;
    --short) MODE=short ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $1 (use --short or nothing)" ;;
esac
[[ $# -le 1 ]] || die "too many arguments"

if [[ $MODE == short ]]; then
    # The coverage phase alone sends ~1,300 requests per identity whatever FUZZ_EXAMPLES says:
    # the short run leaves it to the long one.
    EXAMPLES=${FUZZ_EXAMPLES:-2}
    PHASES=${FUZZ_PHASES:-examples,fuzzing,stateful}
    MIN_REQUESTS=${FUZZ_MIN_REQUESTS:-100}
else
    EXAMPLES=${FUZZ_EXAMPLES:-40}
    PHASES=${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}
    MIN_REQUESTS=${FUZZ_MIN_REQUESTS:-5000}
fi
# One worker: schemathesis' workers are threads, and on CPython 3.11 hypothesis' concurrent
# ast parsing failed here with "AST constructor recursion depth mismatch" (a runtime error); with
# the GIL and a local server, a second worker gained little anyway.
WORKERS=${FUZZ_WORKERS:-1}
PROFILE=${FUZZ_PROFILE:-dev}
[[ $EXAMPLES =~ ^[1-9][0-9]*$ ]] || die "FUZZ_EXAMPLES must be a positive integer, got '$EXAMPLES'"
[[ $MIN_REQUESTS =~ ^[0-9]+$ ]] || die "FUZZ_MIN_REQUESTS must be a non-negative integer, got '$MIN_REQUESTS'"
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || die "FUZZ_WORKERS must be a positive integer, got '$WORKERS'"
[[ -z ${FUZZ_SEED:-} || ${FUZZ_SEED} =~ ^[0-9]+$ ]] || die "FUZZ_SEED must be a non-negative integer, got '$FUZZ_SEED'"
SEED=${FUZZ_SEED:-$(( (RANDOM << 15 | RANDOM) ))}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR
case $PROFILE in
    dev) EFA=$TARGET_DIR/debug/efa ;;
    release) EFA=$TARGET_DIR/release/efa ;;
    *) die "FUZZ_PROFILE must be dev or release, got '$PROFILE'" ;;
esac

for tool in cargo curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but not installed"
done

START=$(date +%s)

# ------------------------------------------------------------ schemathesis ----

ST=$ROOT/.venv/bin/schemathesis
if [[ "$("$ST" --version 2>/dev/null || true)" != *"version $SCHEMATHESIS_VERSION" ]]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION into .venv (PyPI)"
    [[ -x $ROOT/.venv/bin/python ]] || python3 -m venv "$ROOT/.venv" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    "$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" || die "pip install schemathesis==$SCHEMATHESIS_VERSION failed"
    [[ "$("$ST" --version 2>/dev/null || true)" == *"version $SCHEMATHESIS_VERSION" ]] || die "schemathesis $SCHEMATHESIS_VERSION is not runnable from .venv after installing it"
fi

# ------------------------------------------------------------------ build ----

log "building efa ($PROFILE)"
cargo build --quiet --profile "$PROFILE" -p efa || die "cargo build -p efa failed"
[[ -x $EFA ]] || die "$EFA was not built"

# ----------------------------------------------------- server and cleanup ----

TMP=$(mktemp -d "${TMPDIR:-/tmp}/efa-fuzz.XXXXXX")
SERVER_PID=""
OK=0

cleanup() {
    local rc=$?
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ $OK == 1 && ${FUZZ_KEEP:-0} != 1 ]]; then
        rm -rf "$TMP"
    else
        if [[ -s $TMP/server.log ]] && [[ $OK != 1 ]]; then
            echo "fuzz: last lines of the server log ($TMP/server.log):" >&2
            tail -n 40 "$TMP/server.log" >&2 || true
        fi
        echo "fuzz: kept $TMP (database, server log, schemathesis reports)" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DATABASE_URL=$TMP/efa.db
unset EFA_JWKS EFA_JWT_ISSUER EFA_JWT_AUDIENCE
export EFA_LOG=${EFA_LOG:-warn}

"$EFA" migrate >"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; die "efa migrate failed"; }
"$EFA" seed >>"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; die "efa seed failed"; }

# Port 0: the kernel picks a free port, the server prints the address it listens on.
"$EFA" serve --bind 127.0.0.1:0 >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

BASE=""
for _ in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during start"
    BASE=$(sed -n 's|^efa listening on \(http://[0-9.]*:[0-9]*\).*|\1|p' "$TMP/server.log" | head -n 1)
    [[ -n $BASE ]] && break
    sleep 0.1
done
[[ -n $BASE ]] || die "the server did not report its address within 30 s"
for _ in $(seq 1 300); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz" || true)" == 200 ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited before /readyz answered 200"
    sleep 0.1
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" == 200 ]] || die "/readyz did not answer 200 within 30 s"
log "server $BASE ready (pid $SERVER_PID, database $DATABASE_URL)"

# ----------------------------------------------------------------- tokens ----

token() { "$EFA" token --ttl 4h "$@" 2>>"$TMP/setup.log" || die "efa token $* failed"; }

ROLES=(anonymous provider_publisher municipality_user land_coordinator operator)
mint() {
    case $1 in
        provider_publisher) token --org land:05 --role provider_publisher ;;                  # Land NRW as provider
        municipality_user) token --org ags:05315000 --role municipality_user ;;               # Köln
        land_coordinator) token --org land:05 --role land_coordinator --land 05 ;;            # NRW
        operator) token --org 'name:FITKO (Föderale IT-Kooperation)' --role operator ;;
        *) die "no token for role $1" ;;
    esac
}

# --------------------------------------------------------------- counting ----

# Requests the server has answered so far (its own counters), without the /metrics scrapes.
metrics() { curl -sf --max-time 10 "$BASE/metrics" || die "cannot read $BASE/metrics (did the server die?)"; }
served() {
    metrics | awk '/^efa_http_requests_total\{/ && !/route="\/metrics"/ { s += $NF } END { printf "%d\n", s }'
}
server_errors() {
    metrics | grep -E '^efa_http_requests_total\{.*status="5[0-9][0-9]"' || true
}

# ----------------------------------------------------------- schemathesis ----

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance

log "mode $MODE: phases $PHASES, $EXAMPLES example(s) per operation, seed $SEED, $WORKERS worker(s), checks $CHECKS"
FAILED=()
TOTAL=0
ERRORS_BEFORE=$(server_errors)
SUMMARY=()
for name in "${ROLES[@]}"; do
    headers=()
    if [[ $name != anonymous ]]; then
        tok=$(mint "$name")
        headers=(-H "Authorization: Bearer $tok")
    fi
    before=$(served)
    t0=$(date +%s)
    log "run '$name'"
    rc=0
    (
        cd "$TMP" # schemathesis' caches (.hypothesis, .schemathesis) stay in the temporary folder
        "$ST" run "$BASE/openapi.json" \
            --checks "$CHECKS" \
            --phases "$PHASES" \
            --max-examples "$EXAMPLES" \
            --seed "$SEED" \
            --workers "$WORKERS" \
            --generation-database none \
            --request-timeout 30 \
            --no-color \
            --report json,ndjson --report-dir "$TMP/report-$name" \
            "${headers[@]}"
    ) >"$TMP/schemathesis-$name.log" 2>&1 || rc=$?
    after=$(served)
    n=$((after - before))
    TOTAL=$((TOTAL + n))
    # test cases generated, and the stateful links schemathesis inferred (the spec declares none)
    read -r cases links < <(python3 - "$TMP/report-$name" <<'PY' 2>/dev/null || echo "? ?"
import glob, json, sys
d = sys.argv[1]
cases = links = "?"
for f in glob.glob(d + "/json-*.json"):
    cases = json.load(open(f))["test_cases"]["generated"]
for f in glob.glob(d + "/ndjson-*.ndjson"):
    for line in open(f):
        e = json.loads(line).get("PhaseStarted")
        if e and e["phase"]["name"] == "stateful" and e.get("payload"):
            links = e["payload"].get("transitions_selected", "?")
print(cases, links)
PY
    )
    line="$(printf '%-20s %6s requests %6s test cases %4s stateful links %4ss  %s' "$name" "$n" "$cases" "$links" "$(( $(date +%s) - t0 ))" "$([[ $rc == 0 ]] && echo passed || echo "FAILED (exit $rc)")")"
    SUMMARY+=("$line")
    log "$line"
    if [[ $rc != 0 ]]; then
        FAILED+=("$name")
        # failures, errors and the summary, not the progress lines; long lines (tracebacks) cut
        if grep -qE '^=+ (FAILURES|ERRORS) =+$' "$TMP/schemathesis-$name.log"; then
            sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,$p' "$TMP/schemathesis-$name.log" | cut -c1-400 >&2
        else
            tail -n 60 "$TMP/schemathesis-$name.log" | cut -c1-400 >&2
        fi
    fi
done

errors=$(server_errors)
[[ $errors == "$ERRORS_BEFORE" ]] && errors=""
echo
echo "fuzz summary ($MODE, seed $SEED, $EXAMPLES example(s) per operation, $(( $(date +%s) - START ))s in all):"
printf '  %s\n' "${SUMMARY[@]}"
echo "  total: $TOTAL requests answered by the server"
if [[ -n $errors ]]; then
    echo "fuzz: ERROR: the server answered 5xx (from /metrics):" >&2
    echo "$errors" >&2
    FAILED+=("5xx")
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    FAILED+=("server died")
fi
if (( TOTAL < MIN_REQUESTS )); then
    echo "fuzz: ERROR: only $TOTAL requests, fewer than FUZZ_MIN_REQUESTS=$MIN_REQUESTS" >&2
    FAILED+=("too few requests")
fi
if (( ${#FAILED[@]} > 0 )); then
    die "failed: ${FAILED[*]} (reproduce with FUZZ_SEED=$SEED; logs in $TMP)"
fi
OK=1
echo "fuzz: passed"
