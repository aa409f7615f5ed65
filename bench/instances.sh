#!/usr/bin/env bash
# Cross-instance visibility lag for `make bench` (issue 13): two `efa serve`, A and B, on one
# PostgreSQL database. Through A, changes are made over and over; B is watched until it shows
# each (e2e/src/bin/lag.rs):
#
#   feed      a message on a reuse request through A → a long poll on B's
#             GET /api/v1/events?wait=10 returns it
#   listing   a listing edited, submitted and approved through A → B's
#             GET /api/v1/online-services/{id} shows the new description (B's catalogue)
#   coverage  a Gemeinde accedes to a framework agreement and onboards through A → B's
#             GET /api/v1/coverage/gemeinden/{ags} names the live agreement (B's coverage)
#
# first with nothing else going on (idle), then while orders are placed on A at full speed
# (wrk -t1 -c32 with bench/post.lua, POST /api/v1/reuse-requests of 64 Gemeinden outside NRW).
# Meanwhile psql looks every 200 ms for transactions of OTHER databases of the same PostgreSQL
# cluster that hold a transaction id: the outbox passes events only below the oldest running
# transaction of the whole cluster, so those delay every instance (reported under the table).
# Lags are from the write's answer (and, beside it, from its sending); p50 and p99 per kind and
# phase; target: p99 < 1 s. A printed report, not a test: exits non-zero only when something
# fails to run or a write answers anything but its success status.
#
# Usage:
#   bench/instances.sh       on its own: a fresh database efa_instances_<pid> on BENCH_PG_URL,
#                            migrated and seeded with the real data (BENCH_SYNTHETIC=1: also
#                            the synthetic national data), dropped at the end; builds
#                            `cargo build --release -p efa -p e2e`; prints the report
#   from bench/run.sh        with INSTANCES_DB_URL (a migrated, seeded database),
#                            INSTANCES_DIR (working directory with the dev key), INSTANCES_EFA,
#                            INSTANCES_LAG (binaries) and INSTANCES_OUT (the report section is
#                            written there, its target row to INSTANCES_OUT.target)
#
# Environment:
#   BENCH_SECONDS              length of the loaded phase (default 10)
#   BENCH_IDLE_SECONDS         length of the idle phase (default BENCH_SECONDS)
#   BENCH_PG_URL               PostgreSQL server without a database name (on its own; default
#                              postgres://postgres@127.0.0.1:5432)
#   BENCH_PROFILE              release (default) or debug: which build to use on its own
#   BENCH_READY_TIMEOUT        seconds to wait for /readyz (default 30)
#   BENCH_KEEP_TMP=1           keep the logs in bench/tmp/instances.* after success
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR

die() {
    echo "instances: ERROR: $*" >&2
    exit 1
}
log() { echo "instances: $*" >&2; }

case "${1:-}" in
    "") ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
esac

LOAD_SECONDS=${BENCH_SECONDS:-10}
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-30}
[[ $LOAD_SECONDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer, got '$LOAD_SECONDS'"
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-$LOAD_SECONDS}
for v in IDLE_SECONDS READY_TIMEOUT; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
for tool in curl awk psql wrk; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required (bench/run.sh installs wrk and postgresql-client)"
done

# ------------------------------------------------------------ the database ----

STANDALONE=0
PG_ADMIN_URL="" PG_DB="" PG_CREATED=0
if [[ -n ${INSTANCES_DB_URL:-} ]]; then
    DB_URL=$INSTANCES_DB_URL
    W=${INSTANCES_DIR:?INSTANCES_DIR is needed with INSTANCES_DB_URL}
    EFA=${INSTANCES_EFA:?INSTANCES_EFA is needed with INSTANCES_DB_URL}
    LAG=${INSTANCES_LAG:?INSTANCES_LAG is needed with INSTANCES_DB_URL}
    mkdir -p "$W/instances"
    TMP="$W/instances"
else
    STANDALONE=1
    PROFILE=${BENCH_PROFILE:-release}
    case $PROFILE in
        release) log "building (cargo build --release -p efa -p e2e)"; cargo build --release -p efa -p e2e >&2 || die "cargo build failed" ;;
        debug) log "building (cargo build -p efa -p e2e)"; cargo build -p efa -p e2e >&2 || die "cargo build failed" ;;
        *) die "BENCH_PROFILE is release or debug, got '$PROFILE'" ;;
    esac
    EFA="$TARGET_DIR/$PROFILE/efa"
    LAG="$TARGET_DIR/$PROFILE/lag"
    PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
    PG_QUERY=""
    [[ $PG_URL == *\?* ]] && PG_QUERY="?${PG_URL#*\?}"
    PG_BASE=${PG_URL%%\?*}
    PG_BASE=${PG_BASE%/}
    PG_DB="efa_instances_$$"
    PG_ADMIN_URL="$PG_BASE/postgres$PG_QUERY"
    DB_URL="$PG_BASE/$PG_DB$PG_QUERY"
    mkdir -p bench/tmp
    TMP=$(mktemp -d "$ROOT/bench/tmp/instances.XXXXXX")
    W=$TMP
fi
[[ -x $EFA ]] || die "$EFA was not built"
[[ -x $LAG ]] || die "$LAG was not built (cargo build -p e2e --bin lag)"

PIDS=()
stop_pid() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$? pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    if ((PG_CREATED)); then
        psql -Atq "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || log "warning: could not drop database $PG_DB"
    fi
    if ((STANDALONE)) && [[ -d $TMP ]]; then
        if [[ $rc -eq 0 && ${BENCH_KEEP_TMP:-0} != 1 ]]; then rm -rf "$TMP"; else log "logs kept in $TMP"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

efa_in() { (cd "$W" && DATABASE_URL=$DB_URL EFA_LOG=warn "$EFA" "$@"); }
q() { psql -Atq -F $'\t' "$DB_URL" -c "$1"; }

if ((STANDALONE)); then
    psql -Atq "$PG_ADMIN_URL" -c 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL is not reachable at $PG_ADMIN_URL (run make postgres, or set BENCH_PG_URL)"
    psql -Atq "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null || die "could not create database $PG_DB"
    PG_CREATED=1
    log "migrating and seeding $PG_DB"
    efa_in migrate >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log" >&2; die "efa migrate failed"; }
    efa_in seed --dir "$ROOT/seed-data" >"$TMP/seed.log" 2>&1 || { cat "$TMP/seed.log" >&2; die "efa seed failed"; }
    if [[ ${BENCH_SYNTHETIC:-0} == 1 ]]; then
        log "loading the synthetic national data set"
        efa_in seed --synthetic --seed 1 >"$TMP/synthetic.log" 2>&1 || { cat "$TMP/synthetic.log" >&2; die "efa seed --synthetic failed"; }
    fi
fi

# ------------------------------------------------------------- the servers ----

now_ns() { date +%s%N; }
free_port() {
    local p _
    for _ in $(seq 1 500); do
        p=$(((RANDOM % 12000) + 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    die "could not find a free TCP port"
}
wait_ready() { # wait_ready PID URL LOG
    local deadline code
    deadline=$(($(now_ns) + READY_TIMEOUT * 1000000000))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$2" 2>/dev/null || true)
        [[ $code == 200 ]] && return 0
        kill -0 "$1" 2>/dev/null || { tail -n 30 "$3" >&2; die "efa serve (pid $1) exited before $2 answered 200"; }
        (($(now_ns) < deadline)) || { tail -n 30 "$3" >&2; die "$2 did not answer 200 within ${READY_TIMEOUT}s"; }
        sleep 0.01
    done
}
start_serve() { # start_serve NAME -> sets SERVE_URL, SERVE_PID
    local port
    port=$(free_port)
    (cd "$W" && EFA_BIND="127.0.0.1:$port" EFA_LOG=warn DATABASE_URL=$DB_URL exec "$EFA" serve) >"$TMP/serve-$1.log" 2>&1 &
    SERVE_PID=$!
    PIDS+=("$SERVE_PID")
    SERVE_URL="http://127.0.0.1:$port"
    wait_ready "$SERVE_PID" "$SERVE_URL/readyz" "$TMP/serve-$1.log"
}
start_serve A
A_URL=$SERVE_URL A_PID=$SERVE_PID
start_serve B
B_URL=$SERVE_URL B_PID=$SERVE_PID
log "A on $A_URL (pid $A_PID), B on $B_URL (pid $B_PID), one database"

# ----------------------------------------------------------------- tokens ----

LAG_PROVIDER=$(efa_in token --org land:05 --role provider_publisher --ttl 2h) || die "efa token failed"
LAG_OPERATOR=$(efa_in token --org 'name:FITKO (Föderale IT-Kooperation)' --role operator --ttl 2h) || die "efa token failed"
LAG_COORDINATOR=$(efa_in token --org land:05 --role land_coordinator --land 05 --ttl 2h) || die "efa token failed"
LAG_WATCHER=$(efa_in token --org ags:05315000 --role municipality_user --ttl 2h) || die "efa token failed"
export LAG_PROVIDER LAG_OPERATOR LAG_COORDINATOR LAG_WATCHER

# Gemeinden of NRW for the coverage samples (each accedes once; Köln watches the feed).
GEMEINDEN="$TMP/gemeinden.tsv"
: >"$GEMEINDEN"
while read -r ags; do
    printf '%s\t%s\n' "$ags" "$(efa_in token --org "ags:$ags" --role municipality_user --ttl 2h)" >>"$GEMEINDEN" || die "efa token failed for ags:$ags"
done < <(q "SELECT ags FROM organisations WHERE kind = 'kommune' AND ags LIKE '05%' AND ags <> '05315000' ORDER BY ags LIMIT 60")
# The orders: 64 Gemeinden outside NRW, each ordering a real published service.
ORDERS="$TMP/orders.tsv"
: >"$ORDERS"
mapfile -t services < <(q "SELECT id FROM online_services WHERE listing_state = 'published' AND source <> 'synthetic' ORDER BY id")
((${#services[@]} > 0)) || die "no published online services"
i=0
while read -r ags; do
    tok=$(efa_in token --org "ags:$ags" --role municipality_user --ttl 2h) || die "efa token failed for ags:$ags"
    printf '/api/v1/reuse-requests\t%s\t{"online_service_id":"%s"}\n' "$tok" "${services[$((i % ${#services[@]}))]}" >>"$ORDERS"
    i=$((i + 1))
done < <(q "SELECT ags FROM organisations WHERE kind = 'kommune' AND ags IS NOT NULL AND ags NOT LIKE '05%' ORDER BY md5(ags) LIMIT 64")

# --------------------------------------------------------------- measuring ----

STATE="$TMP/lag.state"
SAMPLES="$TMP/samples.tsv"
: >"$SAMPLES"
"$LAG" setup --a "$A_URL" --b "$B_URL" --state "$STATE" >&2 || die "lag setup failed"

# Transactions of other databases holding an xid: "seconds since their start" every 200 ms.
FOREIGN="$TMP/foreign-xids.txt"
(
    while :; do
        psql -Atq "$DB_URL" -c "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0)::numeric(10,2) FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()" 2>/dev/null || echo 0
        sleep 0.2
    done
) >"$FOREIGN" &
PIDS+=("$!")

log "idle: ${IDLE_SECONDS}s of changes through A, watched on B"
"$LAG" measure --a "$A_URL" --b "$B_URL" --state "$STATE" --phase idle --seconds "$IDLE_SECONDS" --gemeinden "$GEMEINDEN" --out "$SAMPLES" >"$TMP/idle.txt" || { cat "$TMP/idle.txt" >&2; die "lag measure (idle) failed"; }

log "loaded: ${LOAD_SECONDS}s of orders on A at full speed (wrk -t1 -c32), changes through A watched on B"
WRK_OUT="$TMP/wrk.txt"
wrk -t1 -c32 "-d$((LOAD_SECONDS + 2))s" --timeout 30s --latency -s "$ROOT/bench/post.lua" "$A_URL" -- "$ORDERS" cycle 201 >"$WRK_OUT" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
sleep 1
"$LAG" measure --a "$A_URL" --b "$B_URL" --state "$STATE" --phase load --seconds "$LOAD_SECONDS" --gemeinden "$GEMEINDEN" --out "$SAMPLES" >"$TMP/load.txt" || { cat "$TMP/load.txt" >&2; die "lag measure (under load) failed"; }
wait "$WRK_PID" || { cat "$WRK_OUT" >&2; die "wrk failed"; }
result=$(grep '^RESULT ' "$WRK_OUT" | tail -1) || true
[[ -n $result ]] || { cat "$WRK_OUT" >&2; die "bench/post.lua wrote no RESULT line"; }
orders_ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$result")
orders_other=$(sed -n 's/.* other=\([0-9]*\).*/\1/p' <<<"$result")
orders_rate=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$result")
if ((orders_other > 0)); then
    cat "$WRK_OUT" >&2
    die "orders on A: $orders_other responses were not 201 ($result) — a server error, not a slow result"
fi
for pid in "$A_PID" "$B_PID"; do
    kill -0 "$pid" 2>/dev/null || die "efa serve (pid $pid) died during the measurement (logs in $TMP)"
done
if grep -qiE 'panick|ERROR' "$TMP"/serve-*.log; then
    log "warning: the server logs have errors:"
    grep -iE 'panick|ERROR' "$TMP"/serve-*.log | head -5 >&2
fi

# ------------------------------------------------------------------ report ----

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
label_of() {
    case $1 in
        feed) echo "message on a request → B's event feed (long poll)" ;;
        listing) echo "listing edited and approved → B's \`GET /api/v1/online-services/{id}\`" ;;
        coverage) echo "agreement live (accession + onboarding) → B's coverage of the Gemeinde" ;;
    esac
}
WORST_P99=0 WORST_WHAT="" FAILED=0
section() {
    local phase line kind n
    echo "## Many instances: cross-instance visibility lag"
    echo
    echo "Two \`efa serve\` (A, B) on one PostgreSQL database; changes made through A, B watched every 5 ms"
    echo "(the feed by a waiting long poll) until it shows them; lag from A's answer to B showing it"
    echo "(in brackets: from sending the write). *idle*: nothing else running; *load*: orders placed on A"
    echo "at full speed meanwhile (wrk -t1 -c32, ${orders_ok} × 201 at $(printf '%.0f' "$orders_rate")/s)."
    echo
    echo "| phase | change through A → seen on B | n | p50 ms | p99 ms | max ms | p50 / p99 from sending, ms |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for phase in idle load; do
        while read -r line; do
            [[ -n $line ]] || continue
            kind=$(field kind "$line")
            n=$(field n "$line")
            printf '| %s | %s | %s | %s | %s | %s | %s / %s |\n' "$phase" "$(label_of "$kind")" "$n" "$(field p50 "$line")" "$(field p99 "$line")" "$(field max "$line")" "$(field p50_sent "$line")" "$(field p99_sent "$line")"
        done < <(grep '^RESULT ' "$TMP/$phase.txt")
    done
    echo
    awk '{ n++; if ($1 > 0.1) { k++ } if ($1 > m) { m = $1 } }
         END {
             if (k == 0) printf "Meanwhile no transaction of another database on the same PostgreSQL server held a transaction id for more than 0.1 s (%d looks, every 200 ms).\n", n
             else printf "Meanwhile, transactions of other databases on the same PostgreSQL server held a transaction id for more than 0.1 s in %d of %d looks (every 200 ms; the longest for %.2f s): the outbox lets a reader pass only events below the oldest transaction still running on the whole server, so each of them delays every instance. On a shared server these lags are not the instances'"'"' own.\n", k, n, m
         }' "$FOREIGN"
}
SECTION=$(section)
while read -r line; do
    [[ -n $line ]] || continue
    p99=$(field p99 "$line")
    FAILED=$((FAILED + $(field failed "$line")))
    if awk -v a="$p99" -v b="$WORST_P99" 'BEGIN { exit !(a > b) }'; then
        WORST_P99=$p99
        WORST_WHAT="$(field kind "$line"), $(field phase "$line")"
    fi
done < <(cat "$TMP/idle.txt" "$TMP/load.txt" | grep '^RESULT ')
verdict=PASS
awk -v a="$WORST_P99" 'BEGIN { exit !(a < 1000) }' || verdict=MISS
((FAILED == 0)) || verdict=MISS
TARGET_ROW="| cross-instance visibility p99 < 1 s (worst of feed, listing, coverage; idle and under order load) | postgres | ${WORST_P99} ms (${WORST_WHAT})$( ((FAILED == 0)) || echo ", $FAILED never seen within 30 s") | $verdict |"

if [[ -n ${INSTANCES_OUT:-} ]]; then
    printf '%s\n' "$SECTION" >"$INSTANCES_OUT"
    printf '%s\n' "$TARGET_ROW" >"$INSTANCES_OUT.target"
fi
if ((STANDALONE)) || [[ -z ${INSTANCES_OUT:-} ]]; then
    printf '%s\n\n| target | backend | measured | result |\n|---|---|---:|---|\n%s\n' "$SECTION" "$TARGET_ROW"
fi
