-- wrk script for the authenticated writes of `make bench` (one wrk thread: -t1).
--
--   wrk -t1 -c32 -d10s --latency -s bench/post.lua URL -- LIST MODE EXPECT [METHOD]
--
-- LIST   file of lines "PATH<TAB>TOKEN<TAB>BODY" (BODY may be empty: no body is sent)
-- MODE   cycle: rotate over the lines for the whole run (order placement: many tokens
--               of different Gemeinden);
--        once:  send every line at most once and stop when the list is used up (approvals:
--               each request may be approved only once)
-- EXPECT the one status that counts as success (201 for a new order, 200 for an approval)
-- METHOD POST (default), or PATCH: BODY is a JSON merge patch, sent as
--        `application/merge-patch+json` with `If-Match: *` (listing edits: the bench measures
--        the writes and the rebuilds after them, not the conflicts of racing editors),
--        or GET (reads of many addresses in turn, e.g. the relevance set's searches)
--
-- TOKEN "-" sends no Authorization header (a visitor's read).
--
-- Every request but a visitor's has `Authorization: Bearer TOKEN`; a POST with a BODY has
-- `Content-Type: application/json`. Statuses are counted per code; throughput is
-- measured from the first request sent to the last response received with a monotonic
-- clock (wrk's own Requests/sec divides by the whole -d even when the list ran out).
-- The summary line written at the end:
--   RESULT ok=<n> other=<n> sent=<n> rate=<successes per second> elapsed=<s> statuses=<code:n,...>

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- ------------------------------------------------------------ main state --

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

-- ---------------------------------------------------------- thread state --

local lines = {}
local mode, expect, method
local next_line = 1
-- Globals, not locals: done() reads them from the main state with thread:get().
sent = 0
exhausted = false
statuses = {}
ok, other = 0, 0
t_first, t_last = nil, nil
sample_other = nil -- the first unexpected response, for the log

function init(args)
    local list = args[1]
    mode = args[2] or "cycle"
    expect = tonumber(args[3] or "200")
    method = args[4] or "POST"
    assert(list, "post.lua: the list file is required")
    assert(mode == "cycle" or mode == "once", "post.lua: MODE is cycle or once")
    assert(method == "POST" or method == "PATCH" or method == "GET", "post.lua: METHOD is POST, PATCH or GET")
    for line in io.lines(list) do
        local path, token, body = line:match("^([^\t]+)\t([^\t]+)\t?(.*)$")
        if path then
            local headers = {}
            if token ~= "-" then
                headers["Authorization"] = "Bearer " .. token
            end
            if method == "PATCH" then
                headers["Content-Type"] = "application/merge-patch+json"
                headers["If-Match"] = "*"
            elseif body ~= "" then
                headers["Content-Type"] = "application/json"
            end
            if body == "" then
                body = nil
            end
            table.insert(lines, wrk.format(method, path, headers, body))
        end
    end
    assert(#lines > 0, "post.lua: no lines in " .. list)
end

-- wrk calls delay() before request(). Once a `once` list is used up, a connection waits
-- far longer than any run instead of sending anything; the response to the last request
-- in flight stops the thread. Before that the delay is 0 (wrk sends at once; the latency
-- it records starts when the request is written, so the timer costs nothing measurable).
function delay()
    started = true
    if mode == "once" and next_line > #lines then
        exhausted = true
        if ok + other >= sent then
            wrk.thread:stop() -- this connection had the last response
        end
        return 3600 * 1000
    end
    return 0
end

-- Sent after an hour-long delay (never within a run), or when the server closed an idle
-- connection after the list was used up and wrk reconnects (wrk sends on connect without
-- asking delay()): a harmless request, and its answer (GET /healthz) is not counted.
local filler
FILLER_BODY = '{"status":"ok"}'

-- wrk calls request() once before the run to check the script (no delay() before it):
-- that call must not use up a line.
started = false

function request()
    if not started then
        return lines[1]
    end
    if t_first == nil then
        t_first = now()
    end
    if next_line > #lines then
        if mode == "cycle" then
            next_line = 1
        else
            -- A reconnect sends without asking delay() first, so delay() may not have
            -- seen the list used up yet: the filler's answer must not count all the same.
            exhausted = true
            filler = filler or wrk.format("GET", "/healthz?bench-filler")
            return filler
        end
    end
    local r = lines[next_line]
    next_line = next_line + 1
    sent = sent + 1
    return r
end

function response(status, headers, body)
    -- A filler's response is not counted.
    if exhausted and status == 200 and body == FILLER_BODY then
        return
    end
    t_last = now()
    statuses[status] = (statuses[status] or 0) + 1
    if status == expect then
        ok = ok + 1
    else
        other = other + 1
        if sample_other == nil then
            sample_other = tostring(status) .. " " .. tostring(body):sub(1, 300):gsub("%s+", " ")
        end
    end
    if exhausted and ok + other >= sent then
        wrk.thread:stop()
    end
end

-- ------------------------------------------------------------ main state --

function done(summary, latency, requests)
    local total_ok, total_other, total_sent, first, last = 0, 0, 0, nil, nil
    local merged = {}
    local sample
    for _, t in ipairs(threads) do
        total_ok = total_ok + (t:get("ok") or 0)
        total_other = total_other + (t:get("other") or 0)
        total_sent = total_sent + (t:get("sent") or 0)
        local f, l = t:get("t_first"), t:get("t_last")
        if f and (first == nil or f < first) then first = f end
        if l and (last == nil or l > last) then last = l end
        local s = t:get("statuses") or {}
        for code, n in pairs(s) do
            merged[code] = (merged[code] or 0) + n
        end
        sample = sample or t:get("sample_other")
    end
    local elapsed = (first and last and last > first) and (last - first) or 0
    local rate = elapsed > 0 and total_ok / elapsed or 0
    local codes = {}
    for code, n in pairs(merged) do
        table.insert(codes, code .. ":" .. n)
    end
    table.sort(codes)
    local line = string.format("RESULT ok=%d other=%d sent=%d rate=%.2f elapsed=%.3f statuses=%s",
        total_ok, total_other, total_sent, rate, elapsed, table.concat(codes, ","))
    io.write(line .. "\n")
    if sample then
        io.write("FIRST-UNEXPECTED " .. sample .. "\n")
    end
end
