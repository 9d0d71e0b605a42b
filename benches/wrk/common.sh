# Shared set-up of the wrk scripts (run.sh, cpu.sh, rss.sh here, tests/nginx/bench-gateway.sh).
# Checks for the SDK venv and wrk; defines repo, python, work (a temporary directory removed on
# exit by `cleanup`, which also stops every pid in `pids`), free_port, start_server, start_bare,
# await_up, sign_for_alice and check_2xx.
wrk_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$wrk_dir/../.." && pwd)"
python="$repo/tests/sdk/.venv/bin/python"
[ -x "$python" ] || { echo "run tests/sdk/run.sh first (it creates tests/sdk/.venv)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server PORT: `serve --demo` (release build) on PORT with its data under $work/data;
# its pid is the last of `pids`.
start_server() {
    RUST_LOG=warn "$repo/target/release/modelarts-iam" serve --demo --listen "127.0.0.1:$1" \
        --data-dir "$work/data" >"$work/server.out" 2>"$work/server.log" &
    pids+=($!)
}

# start_bare PORT: the bare axum handler (examples/bare.rs, release build) on PORT.
bare_started=""
start_bare() {
    "$repo/target/release/examples/bare" "127.0.0.1:$1" >"$work/bare.out" 2>&1 &
    pids+=($!)
    bare_started=1
}

# await_up PORT: waits for the server's /healthz (and the bare handler's banner, if started).
await_up() {
    for _ in $(seq 100); do
        if curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 \
            && { [ -z "$bare_started" ] || grep -q listening "$work/bare.out" 2>/dev/null; }; then
            return 0
        fi
        sleep 0.1
    done
    echo "the server or the bare handler did not start:" >&2
    cat "$work/server.log" "$work/bare.out" 2>/dev/null >&2
    exit 1
}

# check_2xx OUTPUT: fails with wrk's OUTPUT when some answers were not 2xx.
check_2xx() {
    if grep -q 'Non-2xx' <<<"$1"; then
        echo "some answers were not 2xx:" >&2
        echo "$1" >&2
        exit 1
    fi
}

# sign_for_alice URL LUA: a wrk script sending POST /v1/authorize to URL, signed with the root
# key by the official SDK's signer, for the demo user alice (allowed modelarts:notebook:create).
sign_for_alice() {
    local alice
    alice="$(grep -o 'iam::[0-9a-f]*:user:alice' "$work/server.out" | head -1 || true)"
    [ -n "$alice" ] || { echo "no demo user alice in the server's output" >&2; exit 1; }
    "$python" "$wrk_dir/sign.py" "$1" "$work/data/root-access-key.json" "$alice" \
        modelarts:notebook:create "$2"
}
