-- wrk script for POST /v1/triage: varied notes, a cad key, a unique call id per request.
-- bench/wrk.py fills in the placeholders (@@...@@) and writes a per-run copy.
-- Each wrk thread has its own Lua state: ids are <prefix>-<thread>-<counter>, so every
-- request stores a new recommendation. The acknowledged (200) call ids are written to a file
-- so that the harness can check each one is stored.

local bodies = @@BODIES@@
local prefix = "@@PREFIX@@"
local ids_path = "@@IDS_PATH@@"
local threads = {}

counter = 0
tid = 0
ok = 0
other = 0
acked = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer @@KEY@@"
end

function request()
  counter = counter + 1
  local body = '{"call_id":"' .. prefix .. "-" .. tid .. "-" .. counter .. '",'
    .. bodies[(counter % #bodies) + 1]
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    local id = string.match(body, '"call_id":"([^"]+)"')
    if id then acked[#acked + 1] = id end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  local out = io.open(ids_path, "w")
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
    for _, id in ipairs(t:get("acked")) do out:write(id, "\n") end
  end
  out:close()
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"ok":%d,"non200":%d,"connect_errors":%d,'
      .. '"read_errors":%d,"write_errors":%d,"timeouts":%d,"status_errors":%d,'
      .. '"median_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, total_ok, total_other, e.connect, e.read, e.write,
    e.timeout, e.status, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
