#!/usr/bin/env bash
# Benchmark report for `make bench`: throughput and latency of the search
# endpoints against a bare actix-web "ceiling", full-seed time, cold start and
# peak RSS. It is a printed report, never a test: it exits 0 when a target is
# missed and non-zero only when something fails to run.
#
# Usage:
#   bench/run.sh                 full report (stdout) + bench/results.md
#   bench/run.sh --ceiling-only  self-check: ceiling server + wrk parsing only
#
# Environment:
#   BENCH_SECONDS        wrk duration per endpoint (default 10)
#   BENCH_DATABASE_URL   postgres://… to benchmark against PostgreSQL instead of
#                        a fresh SQLite file (migrate + seed run into it, so give
#                        it an empty database)
#   BENCH_BODY_BYTES     body size for --ceiling-only (default 4096)
#   BENCH_READY_TIMEOUT  seconds to wait for /readyz (default 30)
#   BENCH_KEEP_TMP=1     keep bench/tmp/run.* even after a successful run
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

die() {
    echo "bench: ERROR: $*" >&2
    exit 1
}
log() { echo "bench: $*" >&2; }

usage() {
    sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

MODE=full
case "${1:-}" in
    "") ;;
    --ceiling-only) MODE=ceiling ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
esac

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
[[ $SECONDS_PER_RUN =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer, got '$SECONDS_PER_RUN'"
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-30}
[[ $READY_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "BENCH_READY_TIMEOUT must be a positive integer, got '$READY_TIMEOUT'"

if [[ -n ${BENCH_DATABASE_URL:-} ]]; then
    case $BENCH_DATABASE_URL in
        postgres://* | postgresql://*) ;;
        *) die "BENCH_DATABASE_URL must be a postgres:// URL (unset it to use a fresh SQLite file)" ;;
    esac
    BACKEND=postgres
else
    BACKEND=sqlite
fi

# ---------------------------------------------------------------- tools ----

for tool in cargo curl awk date; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but not installed"
done

if ! command -v wrk >/dev/null 2>&1; then
    log "wrk not found, installing it with apt-get"
    command -v apt-get >/dev/null 2>&1 || die "wrk is missing and apt-get is not available; install wrk by hand"
    apt-get update -qq >&2 || die "apt-get update failed (wrk is missing)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2 || die "apt-get install wrk failed"
fi
command -v wrk >/dev/null 2>&1 || die "wrk is still missing after apt-get install"

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

cleanup() {
    local rc=$?
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    if [[ -n $RUN_DIR && -d $RUN_DIR ]]; then
        if [[ $rc -eq 0 && ${BENCH_KEEP_TMP:-0} != 1 ]]; then
            rm -rf "$RUN_DIR"
        else
            log "logs and database kept in $RUN_DIR"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p bench/tmp
RUN_DIR=$(mktemp -d "bench/tmp/run.XXXXXX")

# -------------------------------------------------------------- helpers ----

now_ns() { date +%s%N; }

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

# Results, one entry per measured row.
R_BACKEND=() R_LABEL=() R_RPS=() R_P50=() R_P99=()

# run_wrk BACKEND LABEL URL
run_wrk() {
    local backend=$1 label=$2 url=$3 out parsed rps p50 p99
    out="$RUN_DIR/wrk.${#R_LABEL[@]}.txt"
    check_200 "$url"
    log "wrk ${SECONDS_PER_RUN}s  $label"
    wrk -t1 -c32 -d"${SECONDS_PER_RUN}s" --latency "$url" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk failed for $url"; }
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        cat "$out" >&2
        die "wrk saw non-2xx responses from $url"
    fi
    if grep -q 'Socket errors' "$out"; then
        log "warning: $(grep 'Socket errors' "$out" | sed 's/^ *//') ($label)"
    fi
    parsed=$(parse_wrk "$out") || { cat "$out" >&2; die "could not parse wrk output for $url"; }
    read -r rps p50 p99 <<<"$parsed"
    R_BACKEND+=("$backend") R_LABEL+=("$label") R_RPS+=("$rps") R_P50+=("$p50") R_P99+=("$p99")
}

# start_ceiling BODY_BYTES -> sets CEIL_URL
start_ceiling() {
    local bytes=$1 port pid logfile="$RUN_DIR/ceiling.log"
    [[ -x target/release/ceiling ]] || die "target/release/ceiling was not built"
    port=$(free_port)
    target/release/ceiling --bind "127.0.0.1:$port" --body-bytes "$bytes" >"$logfile" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    CEIL_URL="http://127.0.0.1:$port/api/v1/ceiling"
    wait_ready "$pid" "$CEIL_URL" "$logfile"
}

# Busy share (percent) of all CPUs over one second, from /proc/stat: the
# background load the numbers were taken under.
cpu_sample() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $5 + $6 }' /proc/stat; }
cpu_busy_pct() {
    local t0 i0 t1 i1
    read -r t0 i0 < <(cpu_sample)
    sleep 1
    read -r t1 i1 < <(cpu_sample)
    awk -v dt=$(( t1 - t0 )) -v di=$(( i1 - i0 )) 'BEGIN { if (dt > 0) printf "%.0f", 100 * (dt - di) / dt; else print 0 }'
}

fmt_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
verdict() { if "$@"; then echo PASS; else echo MISS; fi; }

# results_table CEILING_RPS: the markdown table of all rows.
results_table() {
    local ceil=$1 i
    echo "| backend | endpoint | req/s | p50 ms | p99 ms | ratio to ceiling |"
    echo "|---|---|---:|---:|---:|---:|"
    for i in "${!R_LABEL[@]}"; do
        # shellcheck disable=SC2016 # literal markdown backticks
        printf '| %s | `%s` | %.0f | %.2f | %.2f | %s |\n' \
            "${R_BACKEND[$i]}" "${R_LABEL[$i]}" "${R_RPS[$i]}" "${R_P50[$i]}" "${R_P99[$i]}" \
            "$(fmt_ratio "${R_RPS[$i]}" "$ceil")"
    done
}

# ---------------------------------------------------- ceiling self-check ----

if [[ $MODE == ceiling ]]; then
    log "building the ceiling server (cargo build --release -p e2e)"
    cargo build --release -p e2e >&2 || die "cargo build --release -p e2e failed"
    bytes=${BENCH_BODY_BYTES:-4096}
    [[ $bytes =~ ^[0-9]+$ ]] || die "BENCH_BODY_BYTES must be an integer, got '$bytes'"
    start_ceiling "$bytes"
    got=$(body_bytes "$CEIL_URL")
    [[ $got == "$bytes" ]] || log "warning: ceiling body is $got bytes, asked for $bytes"
    run_wrk "-" "(f) ceiling, ${got} B body" "$CEIL_URL"
    echo "## Ceiling self-check (${SECONDS_PER_RUN}s, wrk -t1 -c32)"
    echo
    results_table "${R_RPS[0]}"
    exit 0
fi

# ------------------------------------------------------------------ build ----

log "building (cargo build --release -p efa -p e2e)"
cargo build --release -p efa -p e2e >&2 || die "cargo build --release -p efa -p e2e failed"
[[ -x target/release/efa ]] || die "target/release/efa was not built"
[[ -x target/release/ceiling ]] || die "target/release/ceiling was not built"
[[ -d seed-data ]] || die "seed-data/ not found in $ROOT"

# --------------------------------------------------------------- database ----

if [[ $BACKEND == postgres ]]; then
    DB_URL=$BENCH_DATABASE_URL
else
    DB_URL="$RUN_DIR/bench.db"   # fresh file in this run's temp dir
fi

BUSY_PCT=$(cpu_busy_pct)
if (( BUSY_PCT > 20 )); then
    log "warning: the CPUs were ${BUSY_PCT}% busy with other work before measuring; numbers will be low and noisy"
fi

log "migrating ($BACKEND)"
DATABASE_URL=$DB_URL EFA_LOG=warn target/release/efa migrate >"$RUN_DIR/migrate.log" 2>&1 \
    || { cat "$RUN_DIR/migrate.log" >&2; die "efa migrate failed"; }

log "seeding ($BACKEND), timed"
t0=$(now_ns)
DATABASE_URL=$DB_URL EFA_LOG=warn target/release/efa seed >"$RUN_DIR/seed.log" 2>&1 \
    || { cat "$RUN_DIR/seed.log" >&2; die "efa seed failed"; }
t1=$(now_ns)
SEED_S=$(awk -v ns=$(( t1 - t0 )) 'BEGIN { printf "%.3f", ns / 1e9 }')

# ------------------------------------------------------------ cold start ----

EFA_PORT=$(free_port)
EFA_BASE="http://127.0.0.1:$EFA_PORT"
log "cold start of efa serve on $EFA_BASE"
t0=$(now_ns)
EFA_BIND="127.0.0.1:$EFA_PORT" EFA_LOG=warn DATABASE_URL=$DB_URL \
    target/release/efa serve >"$RUN_DIR/efa.log" 2>&1 &
EFA_PID=$!
PIDS+=("$EFA_PID")
wait_ready "$EFA_PID" "$EFA_BASE/readyz" "$RUN_DIR/efa.log"
t1=$(now_ns)
COLD_MS=$(( (t1 - t0) / 1000000 ))

# -------------------------------------------------------------- endpoints ----

EP_A="/api/v1/ozg-leistungen?q=wohngeld"
EP_B="/api/v1/ozg-leistungen?q=Fuehrerschein&per_page=50"
EP_C="/api/v1/online-services?status=live&lead_land=05"
EP_D="/api/v1/online-services?q=gewerbe&efa=false"
EP_E="/api/v1/gemeinden?q=berg&land=09"

check_200 "$EFA_BASE$EP_A"
A_BYTES=$(body_bytes "$EFA_BASE$EP_A")

run_wrk "$BACKEND" "(a) $EP_A" "$EFA_BASE$EP_A"
run_wrk "$BACKEND" "(b) $EP_B" "$EFA_BASE$EP_B"
run_wrk "$BACKEND" "(c) $EP_C" "$EFA_BASE$EP_C"
run_wrk "$BACKEND" "(d) $EP_D" "$EFA_BASE$EP_D"
run_wrk "$BACKEND" "(e) $EP_E" "$EFA_BASE$EP_E"

start_ceiling "$A_BYTES"
run_wrk "-" "(f) ceiling, ${A_BYTES} B body like (a)" "$CEIL_URL"
CEIL_RPS=${R_RPS[5]}

# --------------------------------------------------------------- peak RSS ----

kill -0 "$EFA_PID" 2>/dev/null || die "efa serve died during the benchmark (see $RUN_DIR/efa.log)"
HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$EFA_PID/status") || true
[[ -n ${HWM_KB:-} ]] || die "could not read VmHWM from /proc/$EFA_PID/status"
RSS_MB=$(awk -v kb="$HWM_KB" 'BEGIN { printf "%.1f", kb / 1024 }')

# ----------------------------------------------------------------- report ----

report() {
    local i
    echo "## Throughput and latency (wrk -t1 -c32 -d${SECONDS_PER_RUN}s, one endpoint at a time)"
    echo
    local busy_note=""
    (( BUSY_PCT > 20 )) && busy_note=" — other work was running, the numbers below are not representative"
    echo "Background CPU load in the second before measuring: ${BUSY_PCT}% busy${busy_note}."
    echo
    results_table "$CEIL_RPS"
    echo
    echo "## Startup and footprint ($BACKEND)"
    echo
    echo "| measure | value |"
    echo "|---|---:|"
    echo "| full seed | ${SEED_S} s |"
    echo "| cold start (spawn → /readyz 200) | ${COLD_MS} ms |"
    echo "| peak RSS of efa serve (VmHWM) | ${RSS_MB} MB |"
    echo
    echo "## Targets"
    echo
    echo "| target | measured | result |"
    echo "|---|---:|---|"
    for i in 0 1 2 3; do
        local ratio
        ratio=$(fmt_ratio "${R_RPS[$i]}" "$CEIL_RPS")
        echo "| search ratio ≥ 0.5: \`${R_LABEL[$i]}\` | $ratio | $(verdict ge "$ratio" 0.5) |"
    done
    for i in 0 1 2 3 4; do
        # shellcheck disable=SC2016 # literal markdown backticks
        printf '| p99 < 10 ms: `%s` | %.2f ms | %s |\n' \
            "${R_LABEL[$i]}" "${R_P99[$i]}" "$(verdict lt "${R_P99[$i]}" 10)"
    done
    echo "| full seed < 10 s | ${SEED_S} s | $(verdict lt "$SEED_S" 10) |"
    echo "| cold start < 300 ms | ${COLD_MS} ms | $(verdict lt "$COLD_MS" 300) |"
    echo "| peak RSS < 150 MB | ${RSS_MB} MB | $(verdict lt "$RSS_MB" 150) |"
}

machine_header() {
    local cpu mem commit dirty=""
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    [[ -n $cpu ]] || cpu=$(awk -F': *' '/^(Hardware|cpu model|Model)/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    if command -v free >/dev/null 2>&1; then
        mem="$(free -g | awk '/^Mem:/ { print $2 }') GiB"
    else
        mem="$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo) GiB"
    fi
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ $commit != unknown && -n $(git status --porcelain 2>/dev/null | head -1) ]]; then
        dirty=" (with uncommitted changes)"
    fi
    echo "# EfA Marktplatz benchmark"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- commit: ${commit}${dirty}"
    echo "- machine: $(uname -srm), $(nproc) CPUs, ${cpu:-unknown CPU}, ${mem} RAM"
    echo "- backend: $BACKEND"
    echo "- tool: $(wrk --version 2>&1 | head -1 | awk '{ print $1, $2 }'), ceiling = bare actix-web with a constant JSON body"
    echo
}

REPORT=$(report)
{ machine_header; printf '%s\n' "$REPORT"; } >bench/results.md
log "report written to bench/results.md"
printf '%s\n' "$REPORT"
