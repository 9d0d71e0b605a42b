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
repo="$(cd "$here/../.." && pwd)"
python="$repo/tests/sdk/.venv/bin/python"
[ -x "$python" ] || { echo "run tests/sdk/run.sh first (it creates tests/sdk/.venv)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
work="$(mktemp -d)"
port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
RUST_LOG=warn "$repo/target/release/modelarts-iam" serve --demo --listen "127.0.0.1:$port" \
    --data-dir "$work/data" >"$work/server.out" 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
up=""
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { up=1; break; }
    sleep 0.1
done
[ -n "$up" ] || { echo "the server did not answer /healthz:" >&2; cat "$work/server.log" >&2; exit 1; }
alice="$(grep -o 'iam::[0-9a-f]*:user:alice' "$work/server.out" | head -1 || true)"
[ -n "$alice" ] || { echo "no demo user alice in the server's output" >&2; exit 1; }
"$python" "$here/sign.py" "http://127.0.0.1:$port" "$work/data/root-access-key.json" \
    "$alice" modelarts:notebook:create "$work/a.lua"
url="http://127.0.0.1:$port/v1/authorize"
wrk -t2 -c32 -d2s -s "$work/a.lua" "$url" >/dev/null   # warm up
before="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
out="$(wrk -t2 -c32 -d"$duration" -s "$work/a.lua" "$url")"
if grep -q 'Non-2xx' <<<"$out"; then echo "some answers were not 2xx:" >&2; echo "$out" >&2; exit 1; fi
n="$(awk '/requests in/ {print $1}' <<<"$out")"
[ "${n:-0}" -gt 0 ] || { echo "wrk completed no request:" >&2; echo "$out" >&2; exit 1; }
sleep 6   # one metrics upkeep period
after="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
echo "requests: $n; RSS: $before kB -> $after kB ($(( (after - before) * 1024 / n )) bytes per request)"
