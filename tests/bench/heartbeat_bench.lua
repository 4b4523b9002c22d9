-- wrk script for tests/bench/heartbeat_bench.sh: Telegraf-shaped heartbeats (outputs.heartbeat,
-- schema 1, the shape of tests/fixtures/heartbeats/controller.json) from keep-alive
-- connections, each request for the next of HB_AGENTS agent ids, so the registry sees a fleet
-- of that size updated round-robin rather than one row. At the end prints one JSON line
-- ("HEARTBEAT_BENCH {...}") with the counts and latency percentiles for the shell script.
--
--   HB_AGENTS=10000 wrk -t2 -c200 -d20s -s heartbeat_bench.lua http://127.0.0.1:8000/agents/heartbeat

local agents = tonumber(os.getenv("HB_AGENTS") or "10000")
local thread_count = tonumber(os.getenv("HB_THREADS") or "2")
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local template = '{"id":"bench-agent-%05d","version":"Telegraf 1.39.0 (git: HEAD@5d1e9b07)",' ..
  '"schema":1,"hostname":"bench-agent-%05d.example.net","configurations":[' ..
  '"http://parent.example.net:8888/api/configs/0b7c2f9e-4d7a-4a55-9a63-2f1b7c1e8d10/toml' ..
  '?agent_id=bench-agent-%05d","/etc/telegraf/telegraf.d/local-inputs.conf"],' ..
  '"statistics":{"errors":0,"warnings":0,"metrics":%d},"status":"OK"}'

local headers = {["Content-Type"] = "application/json", ["User-Agent"] = "Telegraf/1.39.0 Go/1.25.1"}

-- Requests are built once per thread (thread i takes ids i, i + n, i + 2n, ...): formatting
-- one per request in Lua would make wrk, not the server, the bottleneck.
local prepared = {}
local next_request = 0

function init(args)
  for agent = thread_index or 0, agents - 1, thread_count do
    local body = string.format(template, agent, agent, agent, 1000 + agent)
    prepared[#prepared + 1] = wrk.format("POST", nil, headers, body)
  end
end

function request()
  next_request = next_request % #prepared + 1
  return prepared[next_request]
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'HEARTBEAT_BENCH {"requests":%d,"seconds":%.3f,"per_second":%.1f,"non_2xx":%d,' ..
    '"socket_errors":%d,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, seconds, summary.requests / seconds, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
