# Shared set-up of the wrk scripts (run.sh, cpu.sh, rss.sh); sourced after they set `here`.
# Defines repo, python, work (a temporary directory removed on exit by `cleanup`), free_port,
# start_server, await_up and sign_for_alice.
repo="$(cd "$here/../.." && pwd)"
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

# await_up PORT [BARE_PORT]: waits for the server's /healthz (and the bare handler's banner).
await_up() {
    for _ in $(seq 100); do
        if curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 \
            && { [ -z "${2:-}" ] || grep -q listening "$work/bare.out" 2>/dev/null; }; then
            return 0
        fi
        sleep 0.1
    done
    echo "the server or the bare handler did not start:" >&2
    cat "$work/server.log" "$work/bare.out" 2>/dev/null >&2
    exit 1
}

# sign_for_alice URL LUA: a wrk script sending POST /v1/authorize to URL, signed with the root
# key by the official SDK's signer, for the demo user alice (allowed modelarts:notebook:create).
sign_for_alice() {
    local alice
    alice="$(grep -o 'iam::[0-9a-f]*:user:alice' "$work/server.out" | head -1 || true)"
    [ -n "$alice" ] || { echo "no demo user alice in the server's output" >&2; exit 1; }
    "$python" "$here/sign.py" "$1" "$work/data/root-access-key.json" "$alice" \
        modelarts:notebook:create "$2"
}
