#!/usr/bin/env bash
# Where the two cores go per request: wrk drives POST /v1/authorize on the server and on the bare
# handler (alternating, ROUNDS times, DURATION each); for each run prints req/s, the machine's
# user/sys/softirq/idle shares (/proc/stat), the CPU the server process itself used per request
# (/proc/<pid>/stat), and the rest per request (wrk and the kernel work charged to no process).
#
# usage: benches/wrk/cpu.sh [DURATION=5] [ROUNDS=2]   (after the release builds run.sh uses)
# needs: wrk, tests/sdk/.venv (bash tests/sdk/run.sh creates it)
set -euo pipefail
duration="${1:-5}"
rounds="${2:-2}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
port="$(free_port)"
bport="$(free_port)"
start_server "$port"
spid="${pids[-1]}"
start_bare "$bport"
bpid="${pids[-1]}"
await_up "$port"
sign_for_alice "http://127.0.0.1:$port" "$work/a.lua"
sign_for_alice "http://127.0.0.1:$bport" "$work/b.lua"
hz="$(getconf CLK_TCK)"
for _ in $(seq "$rounds"); do
    for run in "server $spid $port a" "bare $bpid $bport b"; do
        set -- $run
        read -r _ u0 n0 s0 i0 w0 q0 sq0 st0 _ </proc/stat
        read -r pu0 ps0 < <(awk '{print $14, $15}' "/proc/$2/stat")
        out="$(wrk -t2 -c32 -d"${duration}s" -s "$work/$4.lua" "http://127.0.0.1:$3/v1/authorize")"
        read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
        read -r pu1 ps1 < <(awk '{print $14, $15}' "/proc/$2/stat")
        check_2xx "$out"
        n="$(awk '/requests in/ {print $1}' <<<"$out")"
        total=$(( (u1-u0) + (n1-n0) + (s1-s0) + (i1-i0) + (w1-w0) + (q1-q0) + (sq1-sq0) + (st1-st0) ))
        awk -v k="$1" -v n="$n" -v d="$duration" -v u=$((u1-u0)) -v s=$((s1-s0)) -v sq=$((sq1-sq0)) \
            -v i=$((i1-i0)) -v t="$total" -v pu=$((pu1-pu0)) -v ps=$((ps1-ps0)) -v hz="$hz" 'BEGIN {
            printf "%-6s %6d req/s | machine user %4.1f%% sys %4.1f%% softirq %4.1f%% idle %4.1f%% | process user %.1f sys %.1f us/req | rest %.1f us/req\n",
                k, n/d, 100*u/t, 100*s/t, 100*sq/t, 100*i/t, pu/hz*1e6/n, ps/hz*1e6/n, ((t-i) - (pu+ps))/hz*1e6/n }'
    done
done
