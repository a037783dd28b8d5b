-- wrk script for bench/run.py: sends pre-generated requests, each once, in file order.
--
--   wrk -t1 -c16 -d5s -s bench/pool.lua http://127.0.0.1:PORT/ -- RECORDS [TAIL|-] [BODY_LENGTH] [STATUSES]
--
-- RECORDS holds HTTP/1.1 requests, each as 24 ASCII digits (three lengths: A, T, B) and A + B bytes.
-- The request on the wire is those A bytes, then the first T bytes of TAIL, then the B bytes: a PUT's
-- head, the body's shared part and the body's own last bytes (so a file of 4 KiB PUTs stays small; a GET
-- is all A). Request i of the run is record i; only when every record has been taken does it start over
-- at the first (run.py then reports the run as not all-unique).
-- wrk calls request() once before the run to check the script, so `taken` counts that call too.
--
-- Every response is checked: a status other than 200 (or than one of STATUSES, comma-separated: nginx's
-- WebDAV answers a PUT with 201 or 204), or (with BODY_LENGTH >= 0) a body of another length, counts in
-- `bad`, and the first few are kept. done() prints one line for run.py:
--   pool: taken=N records=N bad=N
-- followed by the first bad responses, if any.

local reqs, tails, ends, n, i = {}, {}, {}, 0, 0
local tail = ""
local body_length = -1
local ok = { [200] = true }
taken, bad, first_bad, n_records = 0, 0, "", 0

local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
end

function init(args)
   local f = assert(io.open(args[1], "rb"))
   local all = f:read("*a")
   f:close()
   local pos, size = 1, #all
   while pos <= size do
      local a = tonumber(string.sub(all, pos, pos + 7))
      local b = tonumber(string.sub(all, pos + 16, pos + 23))
      n = n + 1
      tails[n] = tonumber(string.sub(all, pos + 8, pos + 15))
      reqs[n] = string.sub(all, pos + 24, pos + 23 + a)
      ends[n] = b > 0 and string.sub(all, pos + 24 + a, pos + 23 + a + b) or ""
      pos = pos + 24 + a + b
   end
   all = nil
   assert(n > 0, "no records in " .. args[1])
   n_records = n
   if args[2] and args[2] ~= "-" and args[2] ~= "" then
      local g = assert(io.open(args[2], "rb"))
      tail = g:read("*a")
      g:close()
   end
   body_length = tonumber(args[3] or "-1") or -1
   if args[4] and args[4] ~= "" then
      ok = {}
      for code in string.gmatch(args[4], "%d+") do ok[tonumber(code)] = true end
   end
end

function request()
   i = i + 1
   taken = i
   local k = (i - 1) % n + 1
   local t = tails[k]
   if t == 0 then
      return reqs[k]
   end
   return reqs[k] .. string.sub(tail, 1, t) .. ends[k]
end

function response(status, headers, body)
   if not ok[status] or (body_length >= 0 and #body ~= body_length) then
      bad = bad + 1
      if bad <= 3 then
         first_bad = first_bad .. "  HTTP " .. status .. " (" .. #body .. " bytes): "
            .. string.gsub(string.sub(body, 1, 300), "%s+", " ") .. "\n"
      end
   end
end

function done(summary, latency, requests)
   for _, t in ipairs(threads) do
      io.write(string.format("pool: taken=%d records=%d bad=%d\n", t:get("taken"), t:get("n_records"), t:get("bad")))
      io.write(t:get("first_bad"))
   end
end
