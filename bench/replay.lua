-- wrk script for hot_path.py: each wrk thread replays the requests of its own file
-- (<prefix>.<thread number>), one per line: METHOD \t PATH \t AUTHORIZATION \t BODY.
-- Hawk requests are pre-signed, one nonce each, so a file holds more lines than a run sends;
-- a wrapped-around file would show up as non-2xx answers (replayed nonces).
local threads = 0

function setup(thread)
  thread:set("number", threads)
  threads = threads + 1
end

function init(args)
  requests = {}
  for line in io.lines(args[1] .. "." .. number) do
    local method, path, authorization, body = line:match("^(%u+)\t([^\t]+)\t([^\t]*)\t(.*)$")
    local headers = {["Content-Type"] = "application/json"}
    if authorization ~= "" then headers["Authorization"] = authorization end
    if body == "" then body = nil end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
  index = 0
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
