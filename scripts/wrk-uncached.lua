-- wrk script: makes every request's query string unique (an ignored
-- parameter), so no cache can answer it and the database does the work.
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, wrk.path .. "&_nocache=" .. n .. "." .. math.random(1, 1000000000))
end
