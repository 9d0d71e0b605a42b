#!/usr/bin/env bash
# The two store backends side by side in one run, release build: `POST /v1/authorize`
# throughput (wrk, signed once like run.sh) of the embedded server (SQLite) and of a replica on
# PostgreSQL (a throw-away cluster from scripts/pg-test-cluster, a second replica following it),
# then write throughput of both (benches/wrk/writes.py, 4 clients) and the propagation delay
# from one replica to the other.
#
# usage: [SKIP_BUILD=1] [ROUNDS=4] benches/wrk/backends.sh [DURATION=10s] [CONNECTIONS=32] [THREADS=2] [WRITES=1000]
# needs: wrk, tests/sdk/.venv, PostgreSQL (Debian's postgresql package)
set -euo pipefail
duration="${1:-10s}"
connections="${2:-32}"
threads="${3:-2}"
writes="${4:-1000}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
cd "$repo"
[ -n "${SKIP_BUILD:-}" ] || cargo build --quiet --release -p iam-cli
bin="$repo/target/release/modelarts-iam"

# its own directory: the cluster's unprivileged user cannot enter $work (0700)
pg="$(mktemp -d /tmp/modelarts-iam-bench-pg.XXXXXX)"
url="$(scripts/pg-test-cluster start "$pg")"
trap 'scripts/pg-test-cluster stop "$pg" >/dev/null 2>&1 || true; rm -rf "$pg"; cleanup' EXIT

# serve_on NAME PORT [ARGS...]: a server with its data directory $work/NAME
serve_on() {
    local name="$1" port="$2"
    shift 2
    RUST_LOG=warn "$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$work/$name" "$@" \
        >"$work/$name.out" 2>"$work/$name.log" &
    pids+=($!)
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "$name did not start:" >&2
    cat "$work/$name.log" >&2
    exit 1
}
sign_on() {  # sign_on NAME PORT LUA
    local alice
    alice="$(grep -o 'iam::[0-9a-f]*:user:alice' "$work/$1.out" | head -1)"
    "$python" "$wrk_dir/sign.py" "http://127.0.0.1:$2" "$work/$1/root-access-key.json" "$alice" \
        modelarts:notebook:create "$3"
}

sqlite_port="$(free_port)"; pg_port="$(free_port)"; pg2_port="$(free_port)"
serve_on sqlite "$sqlite_port"
serve_on pg "$pg_port" --database "$url"
mkdir -p "$work/pg2" && cp "$work/pg/master.key" "$work/pg2/"
serve_on pg2 "$pg2_port" --database "$url"
sign_on sqlite "$sqlite_port" "$work/sqlite.lua"
sign_on pg "$pg_port" "$work/pg.lua"

rps() { wrk -t"$threads" -c"$connections" -d"$duration" -s "$2" "$1/v1/authorize" | tee -a "$work/wrk.txt" | awk '/Requests\/sec/ {print $2}'; }
echo "wrk -t$threads -c$connections -d$duration, POST /v1/authorize"
rps "http://127.0.0.1:$sqlite_port" "$work/sqlite.lua" >/dev/null
rps "http://127.0.0.1:$pg_port" "$work/pg.lua" >/dev/null
# ROUNDS rounds (default 4), each running both, the one that goes first alternating (the run
# after a switch is the noisiest); the median run of each is compared
srun=(); prun=()
for r in $(seq "${ROUNDS:-4}"); do
    if [ $((r % 2)) = 1 ]; then
        srun+=("$(rps "http://127.0.0.1:$sqlite_port" "$work/sqlite.lua")")
        prun+=("$(rps "http://127.0.0.1:$pg_port" "$work/pg.lua")")
    else
        prun+=("$(rps "http://127.0.0.1:$pg_port" "$work/pg.lua")")
        srun+=("$(rps "http://127.0.0.1:$sqlite_port" "$work/sqlite.lua")")
    fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sq="$(median "${srun[@]}")"
pq="$(median "${prun[@]}")"
echo "embedded (SQLite):     median $sq req/s (runs: ${srun[*]})"
echo "replica (PostgreSQL):  median $pq req/s (runs: ${prun[*]})"
awk -v p="$pq" -v s="$sq" 'BEGIN { printf "replica / embedded: %.1f%%\n", 100 * p / s }'
check_2xx "$(cat "$work/wrk.txt")"

echo "writes: POST /v5/users, 4 clients"
echo -n "embedded (SQLite):     "; "$python" "$wrk_dir/writes.py" "http://127.0.0.1:$sqlite_port" "$work/sqlite/root-access-key.json" "$writes" 4
echo -n "replica (PostgreSQL):  "; "$python" "$wrk_dir/writes.py" "http://127.0.0.1:$pg_port" "$work/pg/root-access-key.json" "$writes" 4
echo -n "PostgreSQL, one write at a time, "; "$python" "$wrk_dir/writes.py" "http://127.0.0.1:$pg_port" "$work/pg/root-access-key.json" "$writes" 1 --followers "http://127.0.0.1:$pg2_port"
