# Sourced by run.sh and smoke.sh: the scenarios, and which of them each server serves.

# Every scenario, in the order of the table.
all_scenarios=(plaintext json pipelined param echo)

# The request path of each scenario (pipelined sends 16 plaintext requests per write).
scenario_path() {
  case "$1" in
    plaintext | pipelined) echo /plaintext ;;
    json) echo /json ;;
    param) echo /repos/asyncrest/asyncrest/issues/42 ;;
    echo) echo /echo ;;
  esac
}

# The scenarios a server serves, from its name (an executable's or a script's base name).
scenarios_of() {
  case "$(basename "$1")" in
    benchmark_server | asyncrest | aiohttp_server.py | aiohttp) echo plaintext json pipelined param echo ;;
    nginx.sh | nginx) echo plaintext json pipelined param ;;
    peer_httplib | httplib) echo plaintext json param ;;  # of 16 pipelined requests, only the first few are answered
    peer_restinio | restinio) echo plaintext json pipelined param ;;  # no JSON library: no echo
    *) echo plaintext json pipelined ;;  # the floor and Beast: fixed answers, no router, no JSON parser
  esac
}
