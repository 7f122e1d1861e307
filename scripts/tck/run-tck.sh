#!/usr/bin/env bash
# Runs the official A2A TCK (a2aproject/a2a-tck) against one of the two TCK servers in this
# folder: "reference" (the @a2a-js/sdk stack), "gateway" (our src/a2a stack) or "hop" (TCK → gateway
# → toq → gateway → the agent), for TCK "1.0"
# (branch 1.0-dev) or "0.3" (branch 0.3.x). The TCK lives in working copies OUTSIDE the repo
# (default /tmp/tck-1.0, /tmp/tck-0.3); see README.md for the Debian packages and the shim.
#
#   scripts/tck/run-tck.sh <reference|gateway|hop> <1.0|0.3> [transport] [-- extra pytest args]
#     transport: 1.0: all (default) | jsonrpc | http_json ;  0.3: all (default) | jsonrpc | rest
#     (0.3 "all" passes no --transports, as `run_tck.py --category all` does: the TCK then uses
#     every transport of the card, so the transport-equivalence category runs instead of skipping)
#
# Results: $TCK_RESULTS (default /tmp/tck-results)/<sut>-<version>-<transport>[-<agent>].{txt,xml},
# v0.3 one .xml per category; tck-summary.py prints totals and per-test differences.
set -euo pipefail

sut=${1:?usage: run-tck.sh <reference|gateway> <1.0|0.3> [transport] [-- pytest args]}
version=${2:?usage: run-tck.sh <reference|gateway> <1.0|0.3> [transport] [-- pytest args]}
shift 2
transport=all
if [[ $# -gt 0 && $1 != -- ]]; then transport=$1; shift; fi
[[ ${1:-} == -- ]] && shift

repo=$(cd "$(dirname "$0")/../.." && pwd)
tck=${TCK_DIR:-/tmp/tck-$version}
shim=${TCK_SHIM:-/tmp/tck-shim}
results=${TCK_RESULTS:-/tmp/tck-results}
python=${TCK_PYTHON:-/usr/bin/python3}
case $sut in
  reference) port=${TCK_PORT:-9999} ;;
  gateway) port=${TCK_PORT:-9998} ;;
  hop) port=${TCK_PORT:-9997} ;;
  *) echo "unknown SUT '$sut' (reference | gateway | hop)" >&2; exit 2 ;;
esac
[[ -d $tck/tests ]] || { echo "no TCK working copy at $tck (see README.md)" >&2; exit 2; }
mkdir -p "$results"
name="$sut-$version-$transport"
# The v0.3 TCK's agent (sut-executor.ts): a2a-js (default: the behaviour of @a2a-js/sdk's own TCK
# agent, the baseline of issue 4) or python (the TCK's Python SUT); the SUT inherits the variable.
if [[ $version == 0.3 ]]; then
  export TCK_V03_AGENT=${TCK_V03_AGENT:-a2a-js}
  name+="-$TCK_V03_AGENT"
fi

# The SUT in its own process group, so stopping it stops tsx's child too.
log="$results/$name.sut.log"
setsid npx tsx "$repo/scripts/tck/sut-$sut-server.ts" "$port" 127.0.0.1 >"$log" 2>&1 &
sut_pgid=$!
trap 'kill -TERM -- -$sut_pgid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/.well-known/agent-card.json" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/.well-known/agent-card.json" >/dev/null || { echo "SUT did not start; see $log" >&2; exit 1; }

cd "$tck"
export PYTHONPATH="$shim${PYTHONPATH:+:$PYTHONPATH}"
status=0
if [[ $version == 1.0 ]]; then
  # The TCK discovers the transports from the card; gRPC is not declared, so its tests skip.
  args=(tests/compatibility/ "--sut-host=http://127.0.0.1:$port" "--compatibility-report=$results/$name-compat")
  [[ $transport != all ]] && args+=("--transport=$transport")
  "$python" -m pytest "${args[@]}" --tb=short -q -rfEsx -p no:cacheprovider --junitxml="$results/$name.xml" "$@" >"$results/$name.txt" 2>&1 || status=$?
else
  # The categories of the 0.3 TCK's run_tck.py "--category all", each with its path and marker
  # filter, one pytest session per category. --sut-url is the JSON-RPC endpoint (the card is
  # fetched from its origin); --transports pins the client transport (jsonrpc | rest); without it
  # ("all") the TCK takes the card's preferred one (JSON-RPC) and both for transport-equivalence.
  export TCK_STREAMING_TIMEOUT=${TCK_STREAMING_TIMEOUT:-2.0}
  : >"$results/$name.txt"
  for cat in "mandatory|tests/mandatory/|mandatory_jsonrpc or mandatory_protocol" "capabilities|tests/optional/capabilities/|" \
    "transport-equivalence|tests/optional/multi_transport/|transport_equivalence" "quality|tests/optional/quality/|" "features|tests/optional/features/|"; do
    IFS='|' read -r cname cpath cmark <<<"$cat"
    path=$cpath mark=$cmark
    # run_tck.py drops the JSON-RPC-only mandatory tests when jsonrpc is not among the transports.
    if [[ $cname == mandatory && $transport == rest ]]; then path=tests/mandatory/protocol/ mark=mandatory_protocol; fi
    args=("$path" "--sut-url=http://127.0.0.1:$port/a2a" --test-scope=all)
    [[ $transport != all ]] && args+=("--transports=$transport")
    [[ -n $mark ]] && args+=(-m "$mark")
    echo "=== category $cname: ${args[*]}" >>"$results/$name.txt"
    "$python" -m pytest "${args[@]}" --tb=short -q -rfEsx -p no:cacheprovider --junitxml="$results/$name-$cname.xml" "$@" >>"$results/$name.txt" 2>&1 || status=$?
    tail -n 1 "$results/$name.txt"
  done
fi
if [[ $version == 1.0 ]]; then tail -n 1 "$results/$name.txt"; else "$python" "$repo/scripts/tck/tck-summary.py" "$name"; fi
exit $status
