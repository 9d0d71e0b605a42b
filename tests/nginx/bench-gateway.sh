#!/usr/bin/env bash
# wrk benchmark of the gateway's proxy path (signature verification + route resolution +
# authorization + decision log + forwarding) against the same upstream reached directly, in one
# run on one machine. The upstream is nginx answering a fixed ListNotebooks body (so the upstream
# itself costs as little as possible and the gateway's share is not hidden).
#
#   cargo build --release -p iam-cli
#   bash tests/nginx/bench-gateway.sh            # DURATION=10s CONNECTIONS=32 THREADS=2
#   UPSTREAM=python bash tests/nginx/bench-gateway.sh   # upstream: tests/sdk/fake_modelarts.py
#
# Prints requests/second of: direct, proxy (permanent key), proxy (agency session key), and the
# ratios. Not run by scripts/test (it takes a minute and needs a release build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# repo, python, work, pids + cleanup, free_port, and the wrk and SDK venv checks
source "$here/../../benches/wrk/common.sh"
bin="${MODELARTS_IAM_BIN:-$repo/target/release/modelarts-iam}"
nginx_bin="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
duration="${DURATION:-10s}"
conns="${CONNECTIONS:-32}"
threads="${THREADS:-2}"
for need in "$bin" "$nginx_bin"; do
    [ -x "$need" ] || { echo "missing $need (release build, nginx)" >&2; exit 1; }
done
up_port="$(free_port)"
iam_port="$(free_port)"

user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
# nginx_conf DIR HTTP-BLOCK-BODY: a one-process nginx (so its CPU time is measurable by pid)
# under DIR with BODY inside its http block.
nginx_conf() {
    mkdir -p "$1"
    cat > "$1/nginx.conf" <<EOF
$user_line
worker_processes 1;
master_process off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    keepalive_requests 1000000;
$2
}
EOF
}
nginx_conf "$work/nginx" "
    server {
        listen 127.0.0.1:$up_port;
        location / {
            default_type application/json;
            return 200 '{\"current\":0,\"data\":[{\"id\":\"nb-1\",\"name\":\"notebook-1\",\"status\":\"RUNNING\"}],\"pages\":1,\"size\":1,\"total\":1}';
        }
    }"
# The ceiling of any reverse proxy on this machine: nginx itself proxying to the same upstream
# over pooled keep-alive connections, with no authentication at all (one worker, like the
# upstream; the gateway runs tokio's default two workers).
proxy_port="$(free_port)"
nginx_conf "$work/proxy" "
    upstream modelarts { server 127.0.0.1:$up_port; keepalive 64; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$proxy_port;
        location / {
            proxy_pass http://modelarts;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
"$nginx_bin" -p "$work/proxy" -c "$work/proxy/nginx.conf" -g 'daemon off;' &
proxy_pid=$!
pids+=($proxy_pid)

if [ "${UPSTREAM:-nginx}" = python ]; then
    # the suites' fake ModelArts (a Python application server) as the upstream instead
    "$python" "$repo/tests/sdk/fake_modelarts.py" --port "$up_port" > "$work/upstream.log" 2>&1 &
else
    "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
fi
up_pid=$!
pids+=($up_pid)

env -u MODELARTS_IAM_BIN RUST_LOG=warn "$bin" serve --listen "127.0.0.1:$iam_port" --data-dir "$work/data" \
    --upstream "http://127.0.0.1:$up_port" --log-format json > "$work/server.log" 2>&1 &
server_pid=$!
pids+=($server_pid)
for i in $(seq 600); do
    curl -fs "http://127.0.0.1:$iam_port/healthz" >/dev/null 2>&1 && break
    if [ "$i" = 600 ]; then cat "$work/server.log" >&2; exit 1; fi
    sleep 0.1
done

# A user allowed to list notebooks, an agency session with the same policy, and wrk scripts with
# the SDK's own signature (X-Sdk-Date stays valid for 15 minutes).
"$python" - "$work" "$iam_port" <<'PYEOF'
import json, sys, uuid
from pathlib import Path
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkiam.v5 import (
    AttachAgencyPolicyReqBody, AttachAgencyPolicyV5Request, AttachUserPolicyReqBody,
    AttachUserPolicyV5Request, CreateAccessKeyV5Request, CreateAgencyReqBody, CreateAgencyV5Request,
    CreatePolicyReqBody, CreatePolicyV5Request, CreateUserReqBody, CreateUserV5Request, IamClient)
from huaweicloudsdksts.v1 import AssumeAgencyReqBody, AssumeAgencyRequest, StsClient

work, port = Path(sys.argv[1]), sys.argv[2]
endpoint = f"http://127.0.0.1:{port}"
key = json.loads((work / "data" / "root-access-key.json").read_text())
iam = (IamClient.new_builder().with_credentials(GlobalCredentials(
    key["access_key_id"], key["secret_access_key"], key["account_id"])).with_endpoint(endpoint).build())
doc = {"Version": "5.0", "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:notebook:list", "modelarts:trainJob:*"]},
    {"Effect": "Deny", "Action": ["modelarts:notebook:delete"]}]}
u = iam.create_user_v5(CreateUserV5Request(body=CreateUserReqBody(name="bench", enabled=True))).user
p = iam.create_policy_v5(CreatePolicyV5Request(body=CreatePolicyReqBody(
    policy_name="bench", policy_document=json.dumps(doc)))).policy
iam.attach_user_policy_v5(AttachUserPolicyV5Request(policy_id=p.policy_id,
                                                    body=AttachUserPolicyReqBody(user_id=u.user_id)))
k = iam.create_access_key_v5(CreateAccessKeyV5Request(user_id=u.user_id)).access_key
trust = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["sts:agencies:assume"],
                                          "Principal": {"IAM": [key["account_id"]]}}]}
a = iam.create_agency_v5(CreateAgencyV5Request(body=CreateAgencyReqBody(
    agency_name="bench", trust_policy=json.dumps(trust)))).agency
iam.attach_agency_policy_v5(AttachAgencyPolicyV5Request(policy_id=p.policy_id,
                                                        body=AttachAgencyPolicyReqBody(agency_id=a.agency_id)))
sts = StsClient.new_builder().with_credentials(BasicCredentials(
    key["access_key_id"], key["secret_access_key"])).with_endpoint(endpoint).build()
session_policy = {"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:*"]}]}
c = sts.assume_agency(AssumeAgencyRequest(body=AssumeAgencyReqBody(
    agency_urn=a.urn, agency_session_name="bench", policy=json.dumps(session_policy)))).credentials

path = f"/v1/{key['project_id']}/notebooks"
query = [("limit", "10"), ("offset", "0")]

def lua(name, ak, sk, token=None):
    req = SdkRequest(method="GET", schema="http", host=f"127.0.0.1:{port}", resource_path=path,
                     uri=path, query_params=query,
                     header_params={"Content-Type": "application/json",
                                    "X-Project-Id": key["project_id"],
                                    "User-Agent": "huaweicloud-usdk-python/3.0"}, body=b"")
    cred = BasicCredentials(ak, sk)
    if token:
        req.header_params["X-Security-Token"] = token
    Signer(cred).sign(req)
    lines = ['wrk.method = "GET"', f'wrk.path = "{path}?limit=10&offset=0"']
    for h, v in req.header_params.items():
        if h.lower() == "host":
            continue
        lines.append(f'wrk.headers["{h}"] = "{v}"')
    (work / f"{name}.lua").write_text("\n".join(lines) + "\n")

lua("user", k.access_key_id, k.secret_access_key)
lua("session", c.access_key_id, c.secret_access_key, c.security_token)
PYEOF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime of a process
run() { # name url script pid-to-measure
    local out t0 t1
    t0="$(cpu_ticks "$4")"
    out="$(wrk -t"$threads" -c"$conns" -d"$duration" -s "$3" "$2" 2>&1)"
    t1="$(cpu_ticks "$4")"
    local rps non2xx total
    rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
    non2xx="$(echo "$out" | awk '/Non-2xx/ {print $NF}')"
    total="$(echo "$out" | awk '/requests in/ {print $1}')"
    echo "$1 $rps ${non2xx:-0}" >> "$work/results"
    printf '%-28s %10s req/s   non-2xx: %s   CPU of %s: %s us/request\n' "$1" "$rps" "${non2xx:-0}" \
        "$5" "$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$total" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
}

# warm up (connection pools, caches), then measure
wrk -t1 -c4 -d2s -s "$work/user.lua" "http://127.0.0.1:$iam_port" >/dev/null 2>&1
run "direct (upstream)" "http://127.0.0.1:$up_port" "$work/user.lua" "$up_pid" upstream
if [ -n "${PERF_OUT:-}" ]; then   # PERF_OUT=file: profile the server during the user-key run
    perf record -F 499 ${PERF_CALLGRAPH:---call-graph dwarf} -p "$server_pid" -o "$PERF_OUT" -- sleep "${duration%s}" >/dev/null 2>&1 &
fi
run "proxy (user key)" "http://127.0.0.1:$iam_port" "$work/user.lua" "$server_pid" gateway
wait_perf=$(jobs -p | tail -1); [ -n "${PERF_OUT:-}" ] && wait "$wait_perf" 2>/dev/null || true
run "proxy (agency session)" "http://127.0.0.1:$iam_port" "$work/session.lua" "$server_pid" gateway
run "nginx proxy, no auth" "http://127.0.0.1:$proxy_port" "$work/user.lua" "$proxy_pid" "nginx proxy"
run "direct (upstream), again" "http://127.0.0.1:$up_port" "$work/user.lua" "$up_pid" upstream

awk '
  /^direct/ { d += $(NF-1); n++ }
  /^proxy \(user/ { u = $(NF-1) }
  /^proxy \(agency/ { s = $(NF-1) }
  /^nginx proxy/ { x = $(NF-1) }
  END {
    d = d / n
    printf "direct mean %.0f req/s; proxy/direct: user key %.1f%%, agency session %.1f%%\n", d, 100*u/d, 100*s/d
    printf "ceiling: nginx as a plain reverse proxy (no auth) reaches %.1f%% of direct; the gateway reaches %.1f%% of that\n", 100*x/d, 100*u/x
  }
' "$work/results"
logged="$(env -u MODELARTS_IAM_BIN "$bin" log --data-dir "$work/data" --limit 1 --json | "$python" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
echo "decision log entries written: $logged"
