-- POST /echo with the ~1 KiB JSON document in echo_body.json (path given as the script's argument).
init = function(args)
  local file = assert(io.open(args[1], "rb"))
  local body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
