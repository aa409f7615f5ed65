#!/usr/bin/env bash
# Benchmark report for `make bench`, at national volume, on SQLite AND PostgreSQL in one
# run, each measured against a bare actix-web "ceiling" server on the same machine:
#
#   data     efa migrate; efa seed (real data, timed); efa seed --synthetic --seed 1 (timed:
#            2,000 listings, 200,000 reuse requests in all states, agreements, bundlers, users)
#   start    cold start of `efa serve` to /readyz 200; peak RSS (VmHWM) after all runs, the
#            listing edits of (h) last
#   load     wrk -t1 -c32 -d$BENCH_SECONDS --timeout 30s, one endpoint at a time:
#            (a) catalogue search with facets: GET /api/v1/online-services?q=wohngeld&status=live
#                and GET /api/v1/ozg-leistungen?q=wohngeld; several words, a typo, a compound;
#                browsing the services without a query, with one filter and with several; the
#                relevance set's queries in turn on both lists, with the search memo and, on a
#                second server, without it (EFA_SEARCH_MEMO=0) (each against the ceiling of (e),
#                p99 < 10 ms); then the relevance table of the
#                search (efa search-eval: recall@1, recall@3, MRR per category)
#            (b) listing detail: GET /api/v1/online-services/{id} (a real listing)
#            (c) placing an order: POST /api/v1/reuse-requests as municipality_user, rotating
#                over tokens of many Gemeinden (bench/post.lua); only 201 counts
#            (d) an approval: POST /api/v1/reuse-requests/{id}/approve by the coordinator of
#                the request's Land, over distinct `submitted` requests, each at most once
#            (e) the ceiling, with a body as large as the first search of (a)
#            (f) coverage of one Gemeinde (Köln, 05315000) and of one Land (NRW, 05)
#            (g) the shop: the search results page /onlinedienste?q=wohngeld and a service page,
#                each against the ceiling with a body of the page's size; the start page's
#                first-visit weight (gzip, with CSS, fonts, scripts), further pages' weight, and
#                Lighthouse performance/accessibility scores of start, search and service page
#            (h) listing edits: PATCH /api/v1/online-services/{id} (a JSON merge patch of the
#                description, If-Match: *) by the provider with the most published listings,
#                BENCH_EDITS of them, round-robin over its listings, each line sent once;
#                only 200 counts. Every edit rebuilds the catalogue snapshot (old and new both
#                alive for a moment): the peak that the RSS reading right after must see
#            (w) the workspace lists at national volume: the NRW coordinator's reuse requests
#                (all; submitted oldest first; one Kreis), agreements, the operator's audit log,
#                adoption per month of NRW (API, with a bearer token), and the shop's
#                /anfragen, /vertraege, /aufgaben (each with the header's awaiting count) and the
#                Land's coverage page with its charts, logged in by the development login
#                (POST /anmelden, a session cookie); the operator's review queue (API
#                GET /api/v1/listings, shop /pruefung) and audit log page /protokoll. Target p99 < 20 ms
#            (i) PostgreSQL only, bench/instances.sh: two `efa serve` on the bench database; how
#                long after a change through A (a message, a listing edit, an agreement going
#                live) B shows it, p50/p99, idle and while orders are placed on A at full speed
#
# It is a printed report, never a test: it exits 0 when a target is missed and non-zero
# only when something fails to run, or when a write answers anything but its success
# status (that would be a server bug, not a slow result).
#
# Usage:
#   bench/run.sh                 full report (stdout) + bench/results.md
#   bench/run.sh --ceiling-only  self-check: ceiling server + wrk parsing only
#   bench/run.sh workspaces      only (w), the workspace lists, with the data and ceiling they need
#   bench/run.sh search          only (a) and (e): searches, browsing, the ceiling, the relevance
#                                table, cold start and RSS
#
# Environment:
#   BENCH_SECONDS        wrk duration per endpoint (default 10)
#   BENCH_BACKENDS       which backends, in order (default "sqlite postgres")
#   BENCH_PG_URL         PostgreSQL server, without a database name (default
#                        postgres://postgres@127.0.0.1:5432; query parameters such as
#                        ?sslmode=disable are kept). A fresh database efa_bench_<pid> is
#                        created there and dropped at the end.
#   BENCH_TOKENS         how many Gemeinden place orders in (c) (default 256)
#   BENCH_EDITS          how many listing edits (h) sends (default 200)
#   BENCH_BODY_BYTES     body size for --ceiling-only (default 4096)
#   BENCH_READY_TIMEOUT  seconds to wait for /readyz (default 30)
#   BENCH_KEEP_TMP=1     keep bench/tmp/run.* (logs, SQLite file, wrk output) after success
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR

die() {
    echo "bench: ERROR: $*" >&2
    exit 1
}
log() { echo "bench: $*" >&2; }

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

MODE=full
case "${1:-}" in
    "") ;;
    --ceiling-only) MODE=ceiling ;;
    workspaces) MODE=workspaces ;;
    search) MODE=search ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
esac

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
[[ $SECONDS_PER_RUN =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer, got '$SECONDS_PER_RUN'"
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-30}
[[ $READY_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "BENCH_READY_TIMEOUT must be a positive integer, got '$READY_TIMEOUT'"
N_TOKENS=${BENCH_TOKENS:-256}
[[ $N_TOKENS =~ ^[1-9][0-9]*$ ]] || die "BENCH_TOKENS must be a positive integer, got '$N_TOKENS'"
N_EDITS=${BENCH_EDITS:-200}
[[ $N_EDITS =~ ^[1-9][0-9]*$ ]] || die "BENCH_EDITS must be a positive integer, got '$N_EDITS'"
read -r -a BACKENDS <<<"${BENCH_BACKENDS:-sqlite postgres}"
((${#BACKENDS[@]} > 0)) || die "BENCH_BACKENDS is empty"
for b in "${BACKENDS[@]}"; do
    [[ $b == sqlite || $b == postgres ]] || die "BENCH_BACKENDS: unknown backend '$b' (sqlite, postgres)"
done

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
case $PG_URL in
    postgres://* | postgresql://*) ;;
    *) die "BENCH_PG_URL must be a postgres:// URL of the server (no database name), got '$PG_URL'" ;;
esac
PG_QUERY=""
[[ $PG_URL == *\?* ]] && PG_QUERY="?${PG_URL#*\?}"
PG_BASE=${PG_URL%%\?*}
PG_BASE=${PG_BASE%/}
PG_DB="efa_bench_$$"
PG_ADMIN_URL="$PG_BASE/postgres$PG_QUERY"
PG_CREATED=0

# --timeout 30s: wrk leaves responses slower than its timeout (default 2 s) out of the
# latency histogram, which would hide the tail of queued writes.
WRK_ARGS=(-t1 -c32 "-d${SECONDS_PER_RUN}s" --timeout 30s --latency)
LUA="$ROOT/bench/post.lua"
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
NPROC=$(nproc)

# ---------------------------------------------------------------- tools ----

uses() { local b; for b in "${BACKENDS[@]}"; do [[ $b == "$1" ]] && return 0; done; return 1; }

apt_install() { # apt_install COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    log "$1 not found, installing $2 with apt-get"
    command -v apt-get >/dev/null 2>&1 || die "$1 is missing and apt-get is not available; install $2 by hand"
    apt-get update -qq >&2 || die "apt-get update failed ($1 is missing)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2 || die "apt-get install $2 failed"
    command -v "$1" >/dev/null 2>&1 || die "$1 is still missing after apt-get install $2"
}

for tool in cargo curl awk date getconf; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but not installed"
done
apt_install wrk wrk
if [[ $MODE != ceiling ]]; then
    uses sqlite && apt_install sqlite3 sqlite3
    uses postgres && apt_install psql postgresql-client
fi

# ------------------------------------------------------ process cleanup ----

PIDS=()
RUN_DIR=""

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

drop_pg_db() {
    ((PG_CREATED)) || return 0
    PG_CREATED=0
    psql -Atq "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 \
        || log "warning: could not drop database $PG_DB"
}

cleanup() {
    local rc=$?
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    drop_pg_db
    if [[ -n $RUN_DIR && -d $RUN_DIR ]]; then
        if [[ $rc -eq 0 && ${BENCH_KEEP_TMP:-0} != 1 ]]; then
            rm -rf "$RUN_DIR"
        else
            log "logs kept in $RUN_DIR"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p bench/tmp
RUN_DIR=$(mktemp -d "$ROOT/bench/tmp/run.XXXXXX")

# -------------------------------------------------------------- helpers ----

now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }

# rss_split PID -> "A MB heap / F MB file" (RssAnon / RssFile now; file pages are the page
# cache of mapped files, the SQLite database among them, which the kernel can take back)
rss_split() {
    awk '/^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } END { printf "%d MB heap / %d MB file", a / 1024, f / 1024 }' "/proc/$1/status"
}

# A TCP port on 127.0.0.1 that nothing listens on, below the ephemeral range
# so that wrk's client sockets cannot collide with it.
free_port() {
    local p _
    for _ in $(seq 1 500); do
        p=$(( (RANDOM % 12000) + 20000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    die "could not find a free TCP port"
}

# wait_ready PID URL LOGFILE: poll URL every 5 ms until it answers 200.
wait_ready() {
    local pid=$1 url=$2 logfile=$3 code deadline
    deadline=$(( $(now_ns) + READY_TIMEOUT * 1000000000 ))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)
        [[ $code == 200 ]] && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "---- last lines of $logfile ----" >&2
            tail -n 30 "$logfile" >&2 || true
            die "server (pid $pid) exited before $url answered 200"
        fi
        if (( $(now_ns) > deadline )); then
            echo "---- last lines of $logfile ----" >&2
            tail -n 30 "$logfile" >&2 || true
            die "$url did not answer 200 within ${READY_TIMEOUT}s (last status: ${code:-none})"
        fi
        sleep 0.005
    done
}

# check_200 URL: one request; fail loudly unless the status is 200.
check_200() {
    local url=$1 body="$RUN_DIR/check.body" code
    code=$(curl -sS -o "$body" -w '%{http_code}' --max-time 10 "$url") \
        || die "curl could not fetch $url"
    if [[ $code != 200 ]]; then
        echo "---- response body (first 500 bytes) ----" >&2
        head -c 500 "$body" >&2 || true
        echo >&2
        die "GET $url answered $code, expected 200"
    fi
}

# body_bytes URL: size of the (uncompressed) response body.
body_bytes() {
    curl -sS -o /dev/null -w '%{size_download}' --max-time 10 "$1" || die "curl could not fetch $1"
}

# json_total URL: the "total" of a paged list response (for a sanity check).
json_total() {
    curl -sS --max-time 10 "$1" | grep -o '"total":[0-9]*' | head -1 | cut -d: -f2
}

# parse_wrk FILE -> "rps p50_ms p99_ms"
parse_wrk() {
    awk '
        function to_ms(v,   n, u) {
            n = v; sub(/[a-z]+$/, "", n)
            u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n / 1000
            if (u == "ms") return n + 0
            if (u == "s")  return n * 1000
            if (u == "m")  return n * 60000
            if (u == "h")  return n * 3600000
            return -1
        }
        /^Requests\/sec:/       { rps = $2 }
        /Latency Distribution/  { dist = 1; next }
        dist && $1 == "50%"     { p50 = to_ms($2) }
        dist && $1 == "99%"     { p99 = to_ms($2) }
        END {
            if (rps == "" || p50 == "" || p99 == "" || p50 < 0 || p99 < 0) exit 1
            printf "%.2f %.3f %.3f\n", rps, p50, p99
        }' "$1"
}

# ------------------------------------------------ CPU accounting per run ----
# The machine may be shared (engineers compiling and testing). For every wrk run we
# record how busy all CPUs were and how much of that was the server under test, its
# PostgreSQL backends and wrk itself; the rest is "other" load that skews the figure.

cpu_sample() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $5 + $6 }' /proc/stat; }

# Busy share (percent) of all CPUs over one second: the background load before a backend.
cpu_busy_pct() {
    local t0 i0 t1 i1
    read -r t0 i0 < <(cpu_sample)
    sleep 1
    read -r t1 i1 < <(cpu_sample)
    awk -v dt=$(( t1 - t0 )) -v di=$(( i1 - i0 )) 'BEGIN { if (dt > 0) printf "%.0f", 100 * (dt - di) / dt; else print 0 }'
}

# proc_ticks PID... -> "pid ticks" lines (utime + stime, in clock ticks)
proc_ticks() {
    local pid
    for pid in "$@"; do
        [[ -r /proc/$pid/stat ]] || continue
        awk -v pid="$pid" '{ sub(/^.*\) /, ""); print pid, $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || true
    done
}

# The PostgreSQL server processes serving the bench database (empty for SQLite).
pg_pids() {
    [[ $CUR_BACKEND == postgres ]] || return 0
    psql -Atq "$PG_ADMIN_URL" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$PG_DB'" 2>/dev/null || true
}

# Results, one entry per measured row.
# shellcheck source=bench/shop.sh
source "$ROOT/bench/shop.sh"
WEIGHT_FIRST=0 WEIGHT_ROWS="" WEIGHT_DETAIL="" LH_ROWS=""

WRK_HEADERS=()
R_BACKEND=() R_KEY=() R_LABEL=() R_RPS=() R_P50=() R_P99=() R_BUSY=() R_OTHER=() R_NOTE=()
declare -A CEIL_RPS=()

# run_wrk BACKEND KEY LABEL SERVER_PID URL [LUA_ARGS...]
# Without LUA_ARGS: a GET load; any non-2xx fails the run. With them: bench/post.lua
# with "LIST MODE EXPECTED_STATUS"; any other status fails the run, and the rate is the
# successes per second from the script (not wrk's Requests/sec).
run_wrk() {
    local backend=$1 key=$2 label=$3 spid=$4 url=$5
    shift 5
    local i=${#R_LABEL[@]} out tf parsed rps p50 p99 note=""
    out="$RUN_DIR/wrk.$i.$backend.$key.txt"
    tf="$RUN_DIR/wrk.$i.time"
    local cmd=(wrk "${WRK_ARGS[@]}" "${WRK_HEADERS[@]}")
    (($# > 0)) && cmd+=(-s "$LUA")
    cmd+=("$url")
    (($# > 0)) && cmd+=(-- "$@")

    local t0 i0 t1 i1 pg_before pg_after s_before s_after wrk_cpu
    local -a pgp
    mapfile -t pgp < <(pg_pids)
    pg_before=$(proc_ticks "${pgp[@]}")
    s_before=$(proc_ticks "$spid" | awk '{ print $2 }')
    read -r t0 i0 < <(cpu_sample)
    log "wrk ${SECONDS_PER_RUN}s  $backend  $label"
    local TIMEFORMAT='%R %U %S'
    if ! { time "${cmd[@]}" >"$out" 2>&1; } 2>"$tf"; then
        cat "$out" >&2
        die "wrk failed for $label ($url)"
    fi
    read -r t1 i1 < <(cpu_sample)
    s_after=$(proc_ticks "$spid" | awk '{ print $2 }')
    mapfile -t pgp < <(pg_pids)
    pg_after=$(proc_ticks "${pgp[@]}")
    [[ -n $s_after ]] || die "the server under test (pid $spid) is gone after $label"

    local wall wu ws busy other
    read -r wall wu ws <"$tf"
    wrk_cpu=$(awk -v u="$wu" -v s="$ws" 'BEGIN { print u + s }')
    # busy cores, and the cores nobody of ours used (server, its PostgreSQL backends, wrk)
    read -r busy other < <(awk -v dt=$(( t1 - t0 )) -v di=$(( i1 - i0 )) -v n="$NPROC" -v hz="$CLK_TCK" \
        -v wall="$wall" -v wrk="$wrk_cpu" \
        -v srv=$(( s_after - s_before )) -v pg="$(
            join <(sort <<<"$pg_before") <(sort <<<"$pg_after") -a 2 -e 0 -o 0,1.2,2.2 2>/dev/null |
                awk '{ d += $3 - $2 } END { print d + 0 }'
        )" 'BEGIN {
            busy = (dt > 0) ? n * (dt - di) / dt : 0
            ours = (wall > 0) ? (srv + pg) / hz / wall + wrk / wall : 0
            other = busy - ours; if (other < 0) other = 0
            printf "%.2f %.2f\n", busy, other
        }')

    if grep -q 'Socket errors' "$out"; then
        note="wrk: $(grep 'Socket errors' "$out" | sed 's/^ *//')"
        log "warning: $note ($label)"
    fi
    parsed=$(parse_wrk "$out") || { cat "$out" >&2; die "could not parse wrk output for $label"; }
    read -r rps p50 p99 <<<"$parsed"

    if (($# > 0)); then
        local result ok other_n rate elapsed statuses
        result=$(grep '^RESULT ' "$out" | tail -1) || true
        [[ -n $result ]] || { cat "$out" >&2; die "bench/post.lua wrote no RESULT line for $label"; }
        ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$result")
        other_n=$(sed -n 's/.* other=\([0-9]*\).*/\1/p' <<<"$result")
        rate=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$result")
        elapsed=$(sed -n 's/.* elapsed=\([0-9.]*\).*/\1/p' <<<"$result")
        statuses=$(sed -n 's/.* statuses=\(.*\)$/\1/p' <<<"$result")
        if ((other_n > 0)); then
            cat "$out" >&2
            die "$label: $other_n responses were not $3 (statuses $statuses) — a server error, not a slow result"
        fi
        ((ok > 0)) || { cat "$out" >&2; die "$label: no successful response"; }
        rps=$rate
        note="$ok × $3 in ${elapsed} s${note:+; $note}"
        LAST_OK=$ok
        if [[ $2 == once ]] && awk -v e="$elapsed" -v d="$SECONDS_PER_RUN" 'BEGIN { exit !(e < d - 0.5) }'; then
            note="$note (list used up)"
        fi
    elif grep -q 'Non-2xx or 3xx responses' "$out"; then
        cat "$out" >&2
        die "wrk saw non-2xx responses for $label ($url)"
    fi
    R_BACKEND+=("$backend") R_KEY+=("$key") R_LABEL+=("$label") R_RPS+=("$rps") R_P50+=("$p50") R_P99+=("$p99")
    R_BUSY+=("$busy") R_OTHER+=("$other") R_NOTE+=("$note")
}

# start_ceiling BODY_BYTES -> sets CEIL_URL, CEIL_PID
start_ceiling() {
    local bytes=$1 port logfile
    logfile="$RUN_DIR/ceiling.$bytes.log"
    [[ -x $TARGET_DIR/release/ceiling ]] || die "$TARGET_DIR/release/ceiling was not built"
    port=$(free_port)
    "$TARGET_DIR/release/ceiling" --bind "127.0.0.1:$port" --body-bytes "$bytes" >"$logfile" 2>&1 &
    CEIL_PID=$!
    PIDS+=("$CEIL_PID")
    CEIL_URL="http://127.0.0.1:$port/api/v1/ceiling"
    wait_ready "$CEIL_PID" "$CEIL_URL" "$logfile"
}

fmt_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
verdict() { if "$@"; then echo PASS; else echo MISS; fi; }
row_of() { # row_of BACKEND KEY -> index
    local i
    for i in "${!R_LABEL[@]}"; do
        [[ ${R_BACKEND[$i]} == "$1" && ${R_KEY[$i]} == "$2" ]] && { echo "$i"; return 0; }
    done
    return 1
}

results_table() {
    local i ceil
    echo "| backend | endpoint | req/s | p50 ms | p99 ms | × ceiling | CPUs busy / other load | note |"
    echo "|---|---|---:|---:|---:|---:|---:|---|"
    for i in "${!R_LABEL[@]}"; do
        ceil=${CEIL_RPS[${R_BACKEND[$i]}]:-0}
        # shellcheck disable=SC2016 # literal markdown backticks
        printf '| %s | %s | %.0f | %.2f | %.2f | %s | %s / %s of %s | %s |\n' \
            "${R_BACKEND[$i]}" "${R_LABEL[$i]}" "${R_RPS[$i]}" "${R_P50[$i]}" "${R_P99[$i]}" \
            "$(fmt_ratio "${R_RPS[$i]}" "$ceil")" "${R_BUSY[$i]}" "${R_OTHER[$i]}" "$NPROC" "${R_NOTE[$i]}"
    done
}

machine_header() {
    local cpu mem commit dirty=""
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    [[ -n $cpu ]] || cpu=$(awk -F': *' '/^(Hardware|cpu model|Model)/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    mem="$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo) GiB"
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ $commit != unknown && -n $(git status --porcelain 2>/dev/null | head -1) ]]; then
        dirty=" (with uncommitted changes)"
    fi
    echo "# EfA Marktplatz benchmark"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- commit: ${commit}${dirty}"
    echo "- machine: $(uname -srm), nproc $NPROC, ${cpu:-unknown CPU}, ${mem} RAM"
    echo "- tool: $(wrk --version 2>&1 | head -1 | awk '{ print $1, $2 }') \`wrk ${WRK_ARGS[*]}\`, one endpoint at a time; ceiling = bare actix-web with a constant JSON body (e2e/src/bin/ceiling.rs)"
    echo "- server: \`efa serve\` release build, default workers (one per CPU) and pool size (EFA_POOL_SIZE, default 8), EFA_LOG=warn"
}

# ---------------------------------------------------- ceiling self-check ----

if [[ $MODE == ceiling ]]; then
    log "building the ceiling server (cargo build --release -p e2e)"
    cargo build --release -p e2e >&2 || die "cargo build --release -p e2e failed"
    bytes=${BENCH_BODY_BYTES:-4096}
    [[ $bytes =~ ^[0-9]+$ ]] || die "BENCH_BODY_BYTES must be an integer, got '$bytes'"
    CUR_BACKEND=-
    start_ceiling "$bytes"
    got=$(body_bytes "$CEIL_URL")
    [[ $got == "$bytes" ]] || log "warning: ceiling body is $got bytes, asked for $bytes"
    run_wrk "-" ceiling "(e) ceiling, ${got} B body" "$CEIL_PID" "$CEIL_URL"
    CEIL_RPS[-]=${R_RPS[0]}
    echo "## Ceiling self-check (${SECONDS_PER_RUN}s, wrk ${WRK_ARGS[*]})"
    echo
    results_table
    exit 0
fi

# ------------------------------------------------------------------ build ----

log "building (cargo build --release -p efa -p e2e)"
cargo build --release -p efa -p e2e >&2 || die "cargo build --release -p efa -p e2e failed"
EFA="$TARGET_DIR/release/efa"
[[ -x $EFA ]] || die "target/release/efa was not built"
[[ -x $TARGET_DIR/release/ceiling ]] || die "$TARGET_DIR/release/ceiling was not built"
[[ -d seed-data ]] || die "seed-data/ not found in $ROOT"

if uses postgres; then
    psql -Atq "$PG_ADMIN_URL" -c 'SELECT 1' >/dev/null 2>&1 \
        || die "PostgreSQL is not reachable at $PG_ADMIN_URL (run make postgres, or set BENCH_PG_URL)"
fi

# ------------------------------------------------------- per backend run ----

declare -A SEED_MS SYN_MS SYN_REPORT COLD_MS RSS_MB RSS_SPLIT BUSY_BEFORE ORDER_CHECK APPROVE_CHECK EDIT_CHECK

# efa_in DIR ARGS...: run efa with the bench database, in DIR (the PostgreSQL dev key
# `efa-dev-key.json` lives in the working directory; for SQLite beside the file, also DIR).
efa_in() {
    local dir=$1
    shift
    (cd "$dir" && DATABASE_URL=$DB_URL EFA_LOG=warn "$EFA" "$@")
}

# q SQL: rows of the bench database, fields separated by one tab.
q() {
    if [[ $CUR_BACKEND == sqlite ]]; then
        sqlite3 -batch -noheader -separator $'\t' "$DB_URL" "$1"
    else
        psql -Atq -F $'\t' "$DB_URL" -c "$1"
    fi
}

# shop_cookie BASE ORGANISATION ROLE: logs in by the development login (POST /anmelden with
# the form's CSRF token) and prints the session cookie ("name=value") after one page view (the
# flash of the login is consumed, so the cookie stays the same from then on).
shop_cookie() {
    local base=$1 org=$2 role=$3 jar csrf code
    jar=$(mktemp "$RUN_DIR/cookies.XXXXXX")
    csrf=$(curl -sS -c "$jar" -b "$jar" --max-time 10 "$base/anmelden" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//') \
        || die "could not load the login page"
    [[ -n $csrf ]] || die "no CSRF token on $base/anmelden (is the development login on?)"
    code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" --max-time 10 -H "Origin: $base" \
        --data-urlencode "_csrf=$csrf" --data-urlencode "organisation=$org" --data-urlencode "role=$role" "$base/anmelden")
    [[ $code == 303 ]] || die "the development login for $org as $role answered $code, expected 303"
    curl -sS -o /dev/null -c "$jar" -b "$jar" --max-time 10 "$base/aufgaben" || die "could not load /aufgaben after login"
    awk '!/^#/ || /^#HttpOnly_/ { sub(/^#HttpOnly_/, ""); if (NF >= 7) { printf "%s=%s", $6, $7; exit } }' "$jar"
}

WORKSPACE_KEYS=()

# workspace_loads BACKEND: (w) against the running server ($base, $pid, $W): each workspace
# list of the API with a bearer token, each shop page with a session cookie; the ceiling with
# a body as large as the coordinator's first page.
workspace_loads() {
    local backend=$1 coord op cookie url key label bytes code
    coord=$(efa_in "$W" token --org land:05 --role land_coordinator --land 05 --ttl 2h) || die "efa token failed for the NRW coordinator"
    op=$(efa_in "$W" token --org 'name:FITKO (Föderale IT-Kooperation)' --role operator --ttl 2h) || die "efa token failed for the operator"
    local -a api=(
        "ws_requests|$coord|/api/v1/reuse-requests|NRW coordinator"
        "ws_inbox|$coord|/api/v1/reuse-requests?state=submitted&sort=created_at|NRW coordinator, inbox oldest first"
        "ws_kreis|$coord|/api/v1/reuse-requests?state=submitted&kreis=05315|NRW coordinator, one Kreis"
        "ws_agreements|$coord|/api/v1/agreements|NRW (party to)"
        "ws_audit|$op|/api/v1/audit-events|operator"
        "ws_review|$op|/api/v1/listings|operator, review queue oldest first"
        "ws_adoption||/api/v1/coverage/adoption?land=05|public"
    )
    local entry tok desc
    for entry in "${api[@]}"; do
        IFS='|' read -r key tok url desc <<<"$entry"
        local -a hdr=()
        [[ -n $tok ]] && hdr=(-H "Authorization: Bearer $tok")
        code=$(curl -sS -o "$RUN_DIR/check.body" -w '%{http_code}' --max-time 30 "${hdr[@]}" "$base$url") || die "curl could not fetch $url"
        [[ $code == 200 ]] || { head -c 500 "$RUN_DIR/check.body" >&2; die "GET $url answered $code, expected 200 ($backend)"; }
        bytes=$(wc -c <"$RUN_DIR/check.body")
        [[ $key == ws_requests ]] && WS_BYTES=$bytes
        WRK_HEADERS=("${hdr[@]}")
        run_wrk "$backend" "$key" "(w) \`GET $url\` ($desc, ${bytes} B)" "$pid" "$base$url"
        WRK_HEADERS=()
        WORKSPACE_KEYS+=("$key")
    done
    cookie=$(shop_cookie "$base" 05 land_coordinator)
    [[ -n $cookie ]] || die "no session cookie after the development login ($backend)"
    local op_cookie
    op_cookie=$(shop_cookie "$base" 'FITKO (Föderale IT-Kooperation)' operator)
    [[ -n $op_cookie ]] || die "no session cookie after the operator's development login ($backend)"
    for entry in "ws_shop_requests|/anfragen|$cookie|NRW coordinator" "ws_shop_inbox|/anfragen?status=submitted|$cookie|NRW coordinator" "ws_shop_agreements|/vertraege|$cookie|NRW coordinator" \
        "ws_shop_tasks|/aufgaben|$cookie|NRW coordinator" "ws_shop_land|/abdeckung/laender/05|$cookie|NRW coordinator" "ws_shop_review|/pruefung|$op_cookie|operator" "ws_shop_audit|/protokoll|$op_cookie|operator"; do
        local who
        IFS='|' read -r key url cookie who <<<"$entry"
        code=$(curl -sS -o "$RUN_DIR/check.body" -w '%{http_code}' --max-time 30 -H "Cookie: $cookie" "$base$url") || die "curl could not fetch $url"
        [[ $code == 200 ]] || { head -c 500 "$RUN_DIR/check.body" >&2; die "GET $url answered $code with the session cookie, expected 200 ($backend)"; }
        grep -q 'Abmelden' "$RUN_DIR/check.body" || die "GET $url did not show a logged-in page ($backend)"
        bytes=$(wc -c <"$RUN_DIR/check.body")
        WRK_HEADERS=(-H "Cookie: $cookie")
        run_wrk "$backend" "$key" "(w) shop \`GET $url\` ($who, ${bytes} B)" "$pid" "$base$url"
        WRK_HEADERS=()
        WORKSPACE_KEYS+=("$key")
    done
    start_ceiling "${WS_BYTES:-4096}"
    run_wrk "$backend" ws_ceiling "(e) ceiling, ${WS_BYTES:-4096} B body like (w) reuse requests" "$CEIL_PID" "$CEIL_URL"
    [[ -n ${CEIL_RPS[$backend]:-} ]] || CEIL_RPS[$backend]=${R_RPS[$(( ${#R_RPS[@]} - 1 ))]}
    stop_pid "$CEIL_PID"
}

# body_bytes_auth URL TOKEN: size of the body with a bearer token.
body_bytes_auth() {
    curl -sS -o /dev/null -w '%{size_download}' --max-time 30 -H "Authorization: Bearer $2" "$1" || die "curl could not fetch $1"
}

# workspace_targets: the (w) rows against p99 < 20 ms, and the review queue's slot.
workspace_targets() {
    local b key i
    for b in "${BACKENDS[@]}"; do
        for key in $(printf '%s\n' "${WORKSPACE_KEYS[@]}" | awk '!seen[$0]++'); do
            i=$(row_of "$b" "$key") || continue
            printf '| workspace list p99 < 20 ms: %s | %s | %.2f ms (%.0f req/s) | %s |\n' "${R_LABEL[$i]}" "$b" "${R_P99[$i]}" "${R_RPS[$i]}" "$(verdict lt "${R_P99[$i]}" 20)"
        done
    done
}

# prepare_backend BACKEND: a fresh database with the real seed and the synthetic national
# data (both timed), and `efa serve` on it (cold start timed). Sets W, DB_URL, base, pid.
prepare_backend() {
    local backend=$1
    CUR_BACKEND=$backend
    W="$RUN_DIR/$backend"
    mkdir -p "$W"
    if [[ $backend == sqlite ]]; then
        DB_URL="$W/bench.db"
    else
        psql -Atq "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null || die "could not create database $PG_DB"
        PG_CREATED=1
        DB_URL="$PG_BASE/$PG_DB$PG_QUERY"
    fi
    log "== $backend =="
    BUSY_BEFORE[$backend]=$(cpu_busy_pct)
    if ((BUSY_BEFORE[$backend] > 20)); then
        log "warning: the CPUs were ${BUSY_BEFORE[$backend]}% busy with other work before measuring; numbers will be low and noisy"
    fi

    # ---- data
    log "migrating ($backend)"
    efa_in "$W" migrate >"$W/migrate.log" 2>&1 || { cat "$W/migrate.log" >&2; die "efa migrate failed ($backend)"; }
    log "seeding the real data ($backend), timed"
    local t0
    t0=$(now_ns)
    efa_in "$W" seed --dir "$ROOT/seed-data" >"$W/seed.log" 2>&1 || { cat "$W/seed.log" >&2; die "efa seed failed ($backend)"; }
    SEED_MS[$backend]=$(ms_since "$t0")
    log "loading the synthetic national data set ($backend), timed"
    t0=$(now_ns)
    efa_in "$W" seed --synthetic --seed 1 >"$W/synthetic.log" 2>&1 || { cat "$W/synthetic.log" >&2; die "efa seed --synthetic failed ($backend)"; }
    SYN_MS[$backend]=$(ms_since "$t0")
    SYN_REPORT[$backend]=$(grep '^synthetic:' "$W/synthetic.log" | sed 's/ in [0-9]* ms$//; s/^synthetic: //' || true)

    # ---- cold start
    local port
    port=$(free_port)
    base="http://127.0.0.1:$port"
    log "cold start of efa serve ($backend) on $base"
    t0=$(now_ns)
    (cd "$W" && EFA_BIND="127.0.0.1:$port" EFA_LOG=warn DATABASE_URL=$DB_URL exec "$EFA" serve) >"$W/efa.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_ready "$pid" "$base/readyz" "$W/efa.log"
    COLD_MS[$backend]=$(ms_since "$t0")
}

# search_loads BACKEND: (a) the searches and browsing, then (e) the ceiling with a body as
# large as the first search, then the relevance table (once). Needs base, pid, W.
search_loads() {
    local backend=$1
    local a1="/api/v1/online-services?q=wohngeld&status=live" a2="/api/v1/ozg-leistungen?q=wohngeld"
    local a1_bytes a2_bytes total
    check_200 "$base$a1"; check_200 "$base$a2"
    for total in "$(json_total "$base$a1")" "$(json_total "$base$a2")"; do
        [[ -n $total && $total -gt 0 ]] || die "a search for wohngeld found nothing ($backend)"
    done
    a1_bytes=$(body_bytes "$base$a1"); a2_bytes=$(body_bytes "$base$a2")
    run_wrk "$backend" search1 "(a) \`GET $a1\` (${a1_bytes} B)" "$pid" "$base$a1"
    run_wrk "$backend" search2 "(a) \`GET $a2\` (${a2_bytes} B)" "$pid" "$base$a2"
    # More searches as people type them (several words, a typo, a compound the catalogue splits)
    # and browsing: the catalogue page without a query, with one filter and with several.
    local key_url key url bytes
    for key_url in \
        "search3 /api/v1/ozg-leistungen?q=parkausweis%20beantragen" \
        "search4 /api/v1/ozg-leistungen?q=sterbeurkunfe" \
        "search5 /api/v1/online-services?q=sperrm%C3%BCllentsorgung" \
        "search6 /api/v1/online-services?q=personalausweis%20beantragen&status=live" \
        "browse1 /api/v1/online-services" \
        "browse2 /api/v1/online-services?status=live" \
        "browse3 /api/v1/online-services?status=live&themenfeld=2&reifegrad_min=3&efa=true"; do
        key=${key_url%% *} url=${key_url#* }
        check_200 "$base$url"
        bytes=$(body_bytes "$base$url")
        run_wrk "$backend" "$key" "(a) \`GET $url\` (${bytes} B)" "$pid" "$base$url"
    done
    # The relevance set's queries in turn, on both lists: what people search, each query a
    # different address. Once with the search memo (each index keeps its recent searches, see
    # engine.rs), then on a second server with the memo off (EFA_SEARCH_MEMO=0): the cost of
    # every search the first time it is asked.
    local mixed="$W/searches.tsv"
    python3 - "$ROOT/crates/efa-api/tests/relevance/queries.csv" >"$mixed" <<'PY' || die "could not write the search list"
import csv, sys, urllib.parse
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        q = urllib.parse.quote(row["anfrage"])
        print(f"/api/v1/online-services?q={q}\t-")
        print(f"/api/v1/ozg-leistungen?q={q}\t-")
PY
    local n_mixed
    n_mixed=$(wc -l <"$mixed")
    run_wrk "$backend" search7 "(a) the relevance set's queries in turn, both lists ($n_mixed addresses)" "$pid" "$base/" "$mixed" cycle 200 GET
    local port0 base0 pid0 db0=$DB_URL
    port0=$(free_port)
    base0="http://127.0.0.1:$port0"
    if [[ $backend == sqlite ]]; then
        # SQLite serves one process: the second server reads a copy (SQLite's online backup).
        db0="$W/bench.nomemo.db"
        python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' "$DB_URL" "$db0" \
            || die "could not copy the SQLite database for the second server"
    fi
    (cd "$W" && EFA_BIND="127.0.0.1:$port0" EFA_LOG=warn EFA_SEARCH_MEMO=0 DATABASE_URL=$db0 exec "$EFA" serve) >"$W/efa.nomemo.log" 2>&1 &
    pid0=$!
    PIDS+=("$pid0")
    wait_ready "$pid0" "$base0/readyz" "$W/efa.nomemo.log"
    run_wrk "$backend" search8 "(a) the same, search memo off (\`EFA_SEARCH_MEMO=0\`): every search computed" "$pid0" "$base0/" "$mixed" cycle 200 GET
    stop_pid "$pid0"
    if [[ $backend == sqlite ]]; then
        rm -f "$db0" "$db0"-wal "$db0"-shm "$db0".serve-lock
    fi
    if [[ ! -s $RUN_DIR/relevance.md ]]; then
        efa_in "$W" search-eval --queries "$ROOT/crates/efa-api/tests/relevance/queries.csv" >"$RUN_DIR/relevance.md" \
            || die "efa search-eval failed ($backend)"
    fi
    start_ceiling "$a1_bytes"
    run_wrk "$backend" ceiling "(e) ceiling, ${a1_bytes} B body like (a)" "$CEIL_PID" "$CEIL_URL"
    CEIL_RPS[$backend]=${R_RPS[$(( ${#R_RPS[@]} - 1 ))]}
    stop_pid "$CEIL_PID"
}

bench_backend() {
    local backend=$1 W base pid
    prepare_backend "$backend"

    # ---- what the loads need from the database
    local detail_id services ags_all n_ags step
    detail_id=$(q "SELECT id FROM online_services WHERE listing_state = 'published' AND source <> 'synthetic' AND status = 'live' ORDER BY id LIMIT 1")
    [[ -n $detail_id ]] || die "no real published online service found ($backend)"
    mapfile -t services < <(q "SELECT id FROM online_services WHERE listing_state = 'published' AND source <> 'synthetic' ORDER BY id")
    ((${#services[@]} > 0)) || die "no published online services ($backend)"
    ags_all="$W/gemeinden.txt"
    q "SELECT ags FROM organisations WHERE kind = 'kommune' AND ags IS NOT NULL ORDER BY ags" >"$ags_all"
    n_ags=$(wc -l <"$ags_all")
    ((n_ags > 0)) || die "no Gemeinden organisations ($backend)"
    step=$(( n_ags / N_TOKENS )); ((step > 0)) || step=1
    log "minting $N_TOKENS municipality_user tokens (every ${step}th of $n_ags Gemeinden) and 16 land_coordinator tokens"
    local orders="$W/orders.tsv" approvals="$W/approvals.tsv" i=0 ags tok
    : >"$orders"
    while read -r ags; do
        tok=$(efa_in "$W" token --org "ags:$ags" --role municipality_user --ttl 2h) || die "efa token failed for ags:$ags"
        printf '/api/v1/reuse-requests\t%s\t{"online_service_id":"%s"}\n' "$tok" "${services[$((i % ${#services[@]}))]}" >>"$orders"
        i=$((i + 1))
    done < <(awk -v s="$step" -v n="$N_TOKENS" '(NR - 1) % s == 0 && c < n { print; c++ }' "$ags_all")
    declare -A land_tok=()
    local code id
    for code in $(q "SELECT code FROM laender ORDER BY code"); do
        land_tok[$code]=$(efa_in "$W" token --org "land:$code" --role land_coordinator --land "$code" --ttl 2h) \
            || die "efa token failed for land:$code"
    done
    : >"$approvals"
    while IFS=$'\t' read -r id code; do
        [[ -n ${land_tok[$code]:-} ]] || die "request $id has unknown land_code '$code'"
        printf '/api/v1/reuse-requests/%s/approve\t%s\t\n' "$id" "${land_tok[$code]}"
    done < <(q "SELECT id, land_code FROM reuse_requests WHERE state = 'submitted' ORDER BY id") >>"$approvals"
    local n_submitted
    n_submitted=$(wc -l <"$approvals")
    ((n_submitted > 0)) || die "no submitted reuse requests to approve ($backend)"

    # ---- (a) search, (e) ceiling right after, (b) detail
    search_loads "$backend"
    local b="/api/v1/online-services/$detail_id" b_bytes
    check_200 "$base$b"
    b_bytes=$(body_bytes "$base$b")
    run_wrk "$backend" detail "(b) \`GET /api/v1/online-services/{id}\` (${b_bytes} B)" "$pid" "$base$b"

    # ---- (g) the shop: the search results page and the service page (HTML, as wrk asks: uncompressed)
    local g1="/onlinedienste?q=wohngeld" g2="/onlinedienste/$detail_id"
    check_200 "$base$g1"; check_200 "$base$g2"
    local g1_bytes g2_bytes
    g1_bytes=$(body_bytes "$base$g1"); g2_bytes=$(body_bytes "$base$g2")
    run_wrk "$backend" shop_search "(g) shop \`GET $g1\` (${g1_bytes} B)" "$pid" "$base$g1"
    run_wrk "$backend" shop_service "(g) shop \`GET /onlinedienste/{id}\` (${g2_bytes} B)" "$pid" "$base$g2"
    # The ceiling with a body as large as each page, as (e) is for the API's search.
    for key in shop_search shop_service; do
        local bytes=$g1_bytes
        [[ $key == shop_service ]] && bytes=$g2_bytes
        start_ceiling "$bytes"
        run_wrk "$backend" "ceiling_$key" "(e) ceiling, ${bytes} B body like (g) $key" "$CEIL_PID" "$CEIL_URL"
        stop_pid "$CEIL_PID"
    done
    if [[ $backend == "${BACKENDS[0]}" ]]; then
        log "shop page weight and Lighthouse ($backend)"
        shop_weight "$base" "$detail_id"
        shop_lighthouse "$base" "$detail_id" "$W"
    fi

    # ---- (f) coverage of one Gemeinde (Köln) and of one Land (Nordrhein-Westfalen)
    local f_url f_key f_label code_f f_bytes
    for f_key in coverage_gemeinde coverage_land; do
        if [[ $f_key == coverage_gemeinde ]]; then f_url="/api/v1/coverage/gemeinden/05315000"; else f_url="/api/v1/coverage/laender/05"; fi
        code_f=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$base$f_url" || true)
        if [[ $code_f != 200 ]]; then
            log "warning: GET $f_url answered ${code_f:-nothing}; coverage not measured"
            continue
        fi
        f_bytes=$(body_bytes "$base$f_url")
        f_label="(f) \`GET $f_url\` (${f_bytes} B)"
        run_wrk "$backend" "$f_key" "$f_label" "$pid" "$base$f_url"
    done

    # ---- (w) the workspace lists, before the writes below change the data
    workspace_loads "$backend"

    # ---- (c) placing an order
    local before after
    before=$(q "SELECT count(*) FROM reuse_requests")
    run_wrk "$backend" order "(c) \`POST /api/v1/reuse-requests\` ($N_TOKENS Gemeinden)" "$pid" "$base" "$orders" cycle 201
    after=$(q "SELECT count(*) FROM reuse_requests")
    # every 201 is in the database; at most the 32 requests in flight when wrk stopped more
    if ((after - before < LAST_OK || after - before > LAST_OK + 32)); then
        die "$backend: $LAST_OK orders answered 201 but $((after - before)) requests were written"
    fi
    ORDER_CHECK[$backend]="$LAST_OK × 201, $((after - before)) rows written"

    # ---- (d) an approval
    before=$(q "SELECT count(*) FROM reuse_requests WHERE state = 'land_approved'")
    run_wrk "$backend" approve "(d) \`POST /api/v1/reuse-requests/{id}/approve\` (of $n_submitted submitted)" "$pid" "$base" "$approvals" once 200
    after=$(q "SELECT count(*) FROM reuse_requests WHERE state = 'land_approved'")
    if ((after - before < LAST_OK || after - before > LAST_OK + 32)); then
        die "$backend: $LAST_OK approvals answered 200 but $((after - before)) requests became land_approved"
    fi
    APPROVE_CHECK[$backend]="$LAST_OK × 200, $((after - before)) rows approved"

    # ---- (h) listing edits, last before the RSS reading: each rebuilds the catalogue snapshot
    local provider ptok edits="$W/edits.tsv" n_edited
    local -a listings
    provider=$(q "SELECT provider_org_id FROM online_services WHERE listing_state = 'published' GROUP BY provider_org_id ORDER BY count(*) DESC, provider_org_id LIMIT 1")
    [[ -n $provider ]] || die "no provider with published listings ($backend)"
    # Not those priced by the Königsteiner Schlüssel: the synthetic ones state no total, and an
    # edit validates the whole listing (it would be 422).
    mapfile -t listings < <(q "SELECT id FROM online_services WHERE provider_org_id = '$provider' AND listing_state = 'published' AND price_model <> 'koenigsteiner_share' ORDER BY id")
    # A listing comes again only after all the others: with more listings than wrk's 32
    # connections no two edits of one listing are in flight at once (they could be 412).
    ((${#listings[@]} > 32)) || die "the provider $provider has only ${#listings[@]} published listings, (h) needs more than 32 ($backend)"
    ptok=$(efa_in "$W" token --org "$provider" --role provider_publisher --ttl 2h) || die "efa token failed for $provider"
    for ((i = 0; i < N_EDITS; i++)); do
        printf '/api/v1/online-services/%s\t%s\t{"description":"Antrag vollständig online, Fassung %d des Lasttests."}\n' "${listings[$((i % ${#listings[@]}))]}" "$ptok" "$i"
    done >"$edits"
    n_edited=$(( N_EDITS < ${#listings[@]} ? N_EDITS : ${#listings[@]} ))
    before=$(q "SELECT count(*) FROM audit_events WHERE action = 'listing.update'")
    run_wrk "$backend" edit "(h) \`PATCH /api/v1/online-services/{id}\` ($N_EDITS edits of $n_edited listings)" "$pid" "$base" "$edits" once 200 PATCH
    after=$(q "SELECT count(*) FROM audit_events WHERE action = 'listing.update'")
    if ((after - before < LAST_OK || after - before > LAST_OK + 32)); then
        die "$backend: $LAST_OK edits answered 200 but $((after - before)) were written"
    fi
    EDIT_CHECK[$backend]="$LAST_OK × 200, $((after - before)) edits written"

    # ---- peak RSS after all runs
    kill -0 "$pid" 2>/dev/null || die "efa serve died during the benchmark (see $W/efa.log)"
    local hwm
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status") || true
    [[ -n ${hwm:-} ]] || die "could not read VmHWM from /proc/$pid/status"
    RSS_MB[$backend]=$(awk -v kb="$hwm" 'BEGIN { printf "%.1f", kb / 1024 }')
    RSS_SPLIT[$backend]=$(rss_split "$pid")
    if grep -qiE 'panick|ERROR' "$W/efa.log"; then
        log "warning: the server log of $backend has errors:"
        grep -iE 'panick|ERROR' "$W/efa.log" | head -5 >&2
    fi
    stop_pid "$pid"
    if [[ $backend == postgres ]]; then
        # ---- (i) many instances on this database
        log "many instances: cross-instance visibility lag (bench/instances.sh)"
        INSTANCES_DB_URL=$DB_URL INSTANCES_DIR=$W INSTANCES_EFA=$EFA INSTANCES_LAG="$TARGET_DIR/release/lag" \
            INSTANCES_OUT="$RUN_DIR/instances.md" BENCH_SECONDS=$SECONDS_PER_RUN bash "$ROOT/bench/instances.sh" \
            || die "bench/instances.sh failed"
        drop_pg_db
    fi
    return 0
}

# The search and browse targets: ≥ 0.5× the ceiling, p99 < 10 ms.
search_targets() {
    local b i key ratio
    for b in "${BACKENDS[@]}"; do
        for key in search1 search2 search3 search4 search5 search6 search7 search8 browse1 browse2 browse3; do
            i=$(row_of "$b" "$key") || continue
            ratio=$(fmt_ratio "${R_RPS[$i]}" "${CEIL_RPS[$b]}")
            echo "| search ≥ 0.5× ceiling: ${R_LABEL[$i]} | $b | ${ratio}× | $(verdict ge "$ratio" 0.5) |"
            printf '| search p99 < 10 ms: %s | %s | %.2f ms | %s |\n' "${R_LABEL[$i]}" "$b" "${R_P99[$i]}" "$(verdict lt "${R_P99[$i]}" 10)"
        done
    done
}

if [[ $MODE == workspaces ]]; then
    for backend in "${BACKENDS[@]}"; do
        W="" base="" pid=""
        prepare_backend "$backend"
        workspace_loads "$backend"
        stop_pid "$pid"
        [[ $backend == postgres ]] && drop_pg_db
    done
    echo "## Workspace lists (${SECONDS_PER_RUN}s each, wrk ${WRK_ARGS[*]})"
    echo
    echo "National volume: the real seed plus \`efa seed --synthetic --seed 1\` (${SYN_REPORT[${BACKENDS[0]}]})."
    echo
    results_table
    echo
    echo "| target | backend | measured | result |"
    echo "|---|---|---:|---|"
    workspace_targets
    exit 0
fi

if [[ $MODE == search ]]; then
    for backend in "${BACKENDS[@]}"; do
        W="" base="" pid=""
        prepare_backend "$backend"
        search_loads "$backend"
        echo "| cold start (spawn → /readyz 200), $backend | ${COLD_MS[$backend]} ms |" >>"$RUN_DIR/start.md"
        echo "| RSS of efa serve after the searches (VmHWM), $backend | $(( $(awk '/VmHWM/ { print $2 }' "/proc/$pid/status") / 1024 )) MB |" >>"$RUN_DIR/start.md"
        echo "| of it now: heap (RssAnon) / file pages, e.g. the memory-mapped SQLite file (RssFile), $backend | $(rss_split "$pid") |" >>"$RUN_DIR/start.md"
        stop_pid "$pid"
        [[ $backend == postgres ]] && drop_pg_db
    done
    echo "## Search and browse (${SECONDS_PER_RUN}s each, wrk ${WRK_ARGS[*]})"
    echo
    results_table
    echo
    echo "| measure | value |"
    echo "|---|---:|"
    cat "$RUN_DIR/start.md"
    echo
    cat "$RUN_DIR/relevance.md"
    echo
    echo "| target | backend | measured | result |"
    echo "|---|---|---:|---|"
    search_targets
    exit 0
fi

for backend in "${BACKENDS[@]}"; do
    bench_backend "$backend"
done

# ----------------------------------------------------------------- report ----

report() {
    local b i
    echo
    echo "## Throughput and latency"
    echo
    echo "Each backend on a freshly migrated database with the real seed plus \`efa seed --synthetic --seed 1\`;"
    echo "(a) search, (b) detail, (c) placing an order, (d) an approval, (e) the ceiling, (f) coverage,"
    echo "(g) the shop, (w) the workspace lists, (h) listing edits (each rebuilds the catalogue snapshot; last before the RSS"
    echo "reading); the ceiling is measured right after that backend's searches. For (c), (d) and (h)"
    echo "req/s counts successes only (201 / 200, any other status fails the run), from first request to last"
    echo "response. *CPUs busy / other load*: cores busy during the run, and how many of them did"
    echo "work other than the server under test, its PostgreSQL backends and wrk (other people's"
    echo "builds and tests on a shared machine) — with a large *other*, the figures are low."
    echo
    results_table
    echo
    echo "## Data, startup and footprint"
    echo
    printf '| measure |'; for b in "${BACKENDS[@]}"; do printf ' %s |' "$b"; done; echo
    printf '|---|'; for b in "${BACKENDS[@]}"; do printf -- '---:|'; done; echo
    printf '| CPUs busy with other work in the second before |'; for b in "${BACKENDS[@]}"; do printf ' %s %% |' "${BUSY_BEFORE[$b]}"; done; echo
    # shellcheck disable=SC2016 # literal markdown backticks
    printf '| real seed (`efa seed`) |'; for b in "${BACKENDS[@]}"; do printf ' %s s |' "$(secs "${SEED_MS[$b]}")"; done; echo
    # shellcheck disable=SC2016 # literal markdown backticks
    printf '| synthetic national data (`efa seed --synthetic --seed 1`) |'; for b in "${BACKENDS[@]}"; do printf ' %s s |' "$(secs "${SYN_MS[$b]}")"; done; echo
    printf '| cold start (spawn → /readyz 200) |'; for b in "${BACKENDS[@]}"; do printf ' %s ms |' "${COLD_MS[$b]}"; done; echo
    printf '| peak RSS of efa serve after all runs, listing edits last (VmHWM) |'; for b in "${BACKENDS[@]}"; do printf ' %s MB |' "${RSS_MB[$b]}"; done; echo
    printf '| orders: answered vs written |'; for b in "${BACKENDS[@]}"; do printf ' %s |' "${ORDER_CHECK[$b]}"; done; echo
    printf '| approvals: answered vs written |'; for b in "${BACKENDS[@]}"; do printf ' %s |' "${APPROVE_CHECK[$b]}"; done; echo
    printf '| listing edits: answered vs written |'; for b in "${BACKENDS[@]}"; do printf ' %s |' "${EDIT_CHECK[$b]}"; done; echo
    echo
    echo "Synthetic data set: ${SYN_REPORT[${BACKENDS[0]}]}."
    echo
    echo "Shop first visit (${BACKENDS[0]}, gzip as a browser receives it): $WEIGHT_DETAIL."
    echo
    if [[ -s $RUN_DIR/instances.md ]]; then
        cat "$RUN_DIR/instances.md"
        echo
    fi
    if [[ -s $RUN_DIR/relevance.md ]]; then
        echo "## Search relevance"
        echo
        echo "\`efa search-eval\` over crates/efa-api/tests/relevance/queries.csv (the same function as"
        echo "\`GET /api/v1/ozg-leistungen?q=\`; make test asserts recall@3 ≥ 0.95 overall, ≥ 0.85 per category):"
        echo
        cat "$RUN_DIR/relevance.md"
        echo
    fi
    echo "## Targets"
    echo
    echo "| target | backend | measured | result |"
    echo "|---|---|---:|---|"
    search_targets
    local what limit
    for b in "${BACKENDS[@]}"; do
        for key in coverage_gemeinde coverage_land; do
            if [[ $key == coverage_gemeinde ]]; then what="one Gemeinde"; limit=50; else what="one Land"; limit=500; fi
            if i=$(row_of "$b" "$key"); then
                printf '| coverage of %s p99 < %s ms: %s | %s | %.2f ms | %s |\n' "$what" "$limit" "${R_LABEL[$i]}" "$b" "${R_P99[$i]}" "$(verdict lt "${R_P99[$i]}" "$limit")"
            else
                echo "| coverage of $what p99 < $limit ms | $b | not measured | MISS |"
            fi
        done
    done
    if uses postgres; then
        i=$(row_of postgres order)
        printf '| order placement ≥ 2,000/s | postgres | %.0f/s | %s |\n' "${R_RPS[$i]}" "$(verdict ge "${R_RPS[$i]}" 2000)"
        if [[ -s $RUN_DIR/instances.md.target ]]; then
            cat "$RUN_DIR/instances.md.target"
        else
            echo "| cross-instance visibility p99 < 1 s | postgres | not measured | MISS |"
        fi
    fi
    for b in "${BACKENDS[@]}"; do
        for key in shop_search shop_service; do
            i=$(row_of "$b" "$key") || continue
            local c same
            c=$(row_of "$b" "ceiling_$key") || continue
            same=$(fmt_ratio "${R_RPS[$i]}" "${R_RPS[$c]}")
            ratio=$(fmt_ratio "${R_RPS[$i]}" "${CEIL_RPS[$b]}")
            echo "| shop page ≥ 0.5× ceiling (same body size): ${R_LABEL[$i]} | $b | ${same}× (${ratio}× of the ceiling with (a)'s body) | $(verdict ge "$same" 0.5) |"
            printf '| shop page p99 < 10 ms: %s | %s | %.2f ms | %s |\n' "${R_LABEL[$i]}" "$b" "${R_P99[$i]}" "$(verdict lt "${R_P99[$i]}" 10)"
        done
    done
    workspace_targets
    echo "| first visit of the start page ≤ 150 KB (gzip; HTML, CSS, fonts, scripts) | ${BACKENDS[0]} | $((WEIGHT_FIRST / 1024)) KB | $(verdict lt "$WEIGHT_FIRST" $((150 * 1024 + 1))) |"
    local path bytes perf a11y
    while IFS=$'\t' read -r path bytes; do
        [[ -n $path ]] || continue
        echo "| further page ≤ 20 KB: \`$path\` | ${BACKENDS[0]} | $((bytes / 1024)) KB ($bytes B) | $(verdict lt "$bytes" $((20 * 1024 + 1))) |"
    done <<<"$WEIGHT_ROWS"
    while IFS=$'\t' read -r path perf a11y; do
        [[ -n $path ]] || continue
        echo "| Lighthouse \`$path\`: performance / accessibility | ${BACKENDS[0]} | $perf / $a11y | printed |"
    done <<<"$LH_ROWS"
    for b in "${BACKENDS[@]}"; do
        echo "| cold start < 300 ms | $b | ${COLD_MS[$b]} ms | $(verdict lt "${COLD_MS[$b]}" 300) |"
    done
    for b in "${BACKENDS[@]}"; do
        echo "| peak RSS < 150 MB | $b | ${RSS_MB[$b]} MB | $(verdict lt "${RSS_MB[$b]}" 150) |"
        echo "| RSS at the end: heap / file pages (the page cache of a memory-mapped SQLite file counts here) | $b | ${RSS_SPLIT[$b]} | printed |"
    done
    for b in "${BACKENDS[@]}"; do
        echo "| full real seed < 10 s | $b | $(secs "${SEED_MS[$b]}") s | $(verdict lt "${SEED_MS[$b]}" 10000) |"
    done
    for b in "${BACKENDS[@]}"; do
        echo "| synthetic load well under a minute (< 60 s) | $b | $(secs "${SYN_MS[$b]}") s | $(verdict lt "${SYN_MS[$b]}" 60000) |"
    done
}

REPORT=$(report)
# The header looks at `git status` before results.md is rewritten (else it is always "changed").
HEADER=$(machine_header)
{ printf '%s\n' "$HEADER"; printf '%s\n' "$REPORT"; } >bench/results.md
log "report written to bench/results.md"
printf '%s\n' "$REPORT"
