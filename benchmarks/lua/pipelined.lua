-- 16 plaintext requests per write, as TechEmpower's pipelined test.
init = function(args)
  local requests = {}
  for index = 1, 16 do requests[index] = wrk.format(nil, "/plaintext") end
  pipelined = table.concat(requests)
end
request = function() return pipelined end
