#!/usr/bin/env bash
# Memory under sustained load: the server's RSS before, and 6 s after, DURATION of wrk on
# POST /v1/authorize (the bench request of run.sh). A server that keeps something per request
# (a leak) grows by tens of bytes a request; a healthy one stays flat once warm.
#
# usage: benches/wrk/rss.sh [DURATION=20s]    (after cargo build --release -p iam-cli)
# needs: wrk, tests/sdk/.venv (bash tests/sdk/run.sh creates it)
set -euo pipefail
duration="${1:-20s}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
port="$(free_port)"
start_server "$port"
pid="${pids[-1]}"
await_up "$port"
sign_for_alice "http://127.0.0.1:$port" "$work/a.lua"
url="http://127.0.0.1:$port/v1/authorize"
wrk -t2 -c32 -d2s -s "$work/a.lua" "$url" >/dev/null   # warm up
before="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
out="$(wrk -t2 -c32 -d"$duration" -s "$work/a.lua" "$url")"
check_2xx "$out"
n="$(awk '/requests in/ {print $1}' <<<"$out")"
[ "${n:-0}" -gt 0 ] || { echo "wrk completed no request:" >&2; echo "$out" >&2; exit 1; }
sleep 6   # one metrics upkeep period
after="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
echo "requests: $n; RSS: $before kB -> $after kB ($(( (after - before) * 1024 / n )) bytes per request)"
