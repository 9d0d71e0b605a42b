#!/usr/bin/env bash
# wrk benchmark of POST /v1/authorize (signed with the official SDK's signer, full middleware:
# signature check, catalog authorization of the call, decision with explanation, metrics)
# against a bare axum handler (crates/server/examples/bare.rs) in the same run on the same
# machine. Prints both throughputs and the ratio.
#
# usage: [SKIP_BUILD=1] benches/wrk/run.sh [DURATION=15s] [CONNECTIONS=32] [THREADS=2]
# needs: wrk (apt-get install -y wrk), tests/sdk/.venv (bash tests/sdk/run.sh creates it)
set -euo pipefail
duration="${1:-15s}"
connections="${2:-32}"
threads="${3:-2}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
cd "$repo"

if [ -z "${SKIP_BUILD:-}" ]; then  # SKIP_BUILD=1: use the release binaries already built
    cargo build --quiet --release -p iam-cli
    cargo build --quiet --release -p iam-server --example bare
fi

server_port="$(free_port)"
bare_port="$(free_port)"
start_server "$server_port"
start_bare "$bare_port"
await_up "$server_port"
sign_for_alice "http://127.0.0.1:$server_port" "$work/authorize.lua"
sign_for_alice "http://127.0.0.1:$bare_port" "$work/bare.lua"

rps() { wrk -t"$threads" -c"$connections" -d"$duration" -s "$2" "$1/v1/authorize" | tee -a "$work/wrk.txt" | awk '/Requests\/sec/ {print $2}'; }
echo "wrk -t$threads -c$connections -d$duration, POST /v1/authorize"
# warm up both, then alternate bare / server twice and keep the better run of each
rps "http://127.0.0.1:$bare_port" "$work/bare.lua" >/dev/null
rps "http://127.0.0.1:$server_port" "$work/authorize.lua" >/dev/null
b1="$(rps "http://127.0.0.1:$bare_port" "$work/bare.lua")"
s1="$(rps "http://127.0.0.1:$server_port" "$work/authorize.lua")"
b2="$(rps "http://127.0.0.1:$bare_port" "$work/bare.lua")"
s2="$(rps "http://127.0.0.1:$server_port" "$work/authorize.lua")"
bare="$(printf '%s\n%s\n' "$b1" "$b2" | sort -g | tail -1)"
server="$(printf '%s\n%s\n' "$s1" "$s2" | sort -g | tail -1)"
echo "bare axum handler:   $bare req/s (runs: $b1, $b2)"
echo "modelarts-iam serve: $server req/s (runs: $s1, $s2)"
awk -v s="$server" -v b="$bare" 'BEGIN { printf "ratio: %.1f%% of the bare handler\n", 100 * s / b }'
check_2xx "$(cat "$work/wrk.txt")"
