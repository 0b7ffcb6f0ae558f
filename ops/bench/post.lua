-- wrk script: every request appends new, valid placements (POST /api/v1/events).
--
-- Usage: wrk ... -s ops/bench/post.lua URL -- BATCH RUN_ID
--   BATCH   events per request (1 to 1000)
--   RUN_ID  8 hex digits unique to this run, so no id repeats across runs on one data dir
-- The caller adds the Authorization and Content-Type headers (-H).
--
-- Ids are built, not drawn: RUN_ID, the wrk thread's number, whether it is the event's id or its
-- placement_id, and a per-thread counter. So every event is new (never a retry answered 200
-- without storing anything) and its placement stream is new (never a 409).

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

function init(args)
  batch = tonumber(args[1]) or 1
  run_id = args[2] or "0badcafe"
  counter = 0
  math.randomseed(thread_number * 7919 + os.time())
end

local function uuid(kind)
  return string.format("%s-%04x-4%03x-8%03x-%012x", run_id, thread_number, kind, 0, counter)
end

local event_format = '{"id":"%s","type":"PersonPlacedInEmployment","occurred_on":"2025-06-02",'
  .. '"data":{"placement_id":"%s","person_ref":"P-%07d","employment_type":"ordinary"}}'

function request()
  local events = {}
  for index = 1, batch do
    counter = counter + 1
    events[index] = string.format(event_format, uuid(0), uuid(1), math.random(0, 999999))
  end
  return wrk.format("POST", nil, nil, '{"events":[' .. table.concat(events, ",") .. "]}")
end
