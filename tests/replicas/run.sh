#!/usr/bin/env bash
# Three replicas of modelarts-iam on one throw-away PostgreSQL cluster (scripts/pg-test-cluster)
# behind real nginx (docs/deploy.md's load-balancer configuration), driven with requests signed
# by the official Huawei SDK signer (tests/sdk/.venv) and loaded with wrk: revision tokens,
# propagation delay, kill -9 of a replica and PostgreSQL stopped and started under load.
# Skips, saying so, only when nginx, wrk or PostgreSQL is missing and $CI is unset; under CI a
# missing tool is a failure.
#
# Environment: MODELARTS_IAM_BIN (the server binary; default target/debug/modelarts-iam, built
# here unless SKIP_BUILD=1), REPLICA_ROUNDS (token rounds, 300), REPLICA_PROPAGATION_WRITES (1000),
# REPLICA_RESULTS (copy the measured numbers, JSON, to this file), REPLICA_KEEP_TMP=1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
nginx_bin="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
wrk_bin="${WRK:-$(command -v wrk || echo /usr/bin/wrk)}"
missing=()
[ -x "$nginx_bin" ] || missing+=("nginx (apt-get install nginx)")
[ -x "$wrk_bin" ] || missing+=("wrk (apt-get install wrk)")
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${PG_BINDIR:-}" ] ||
    missing+=("PostgreSQL (apt-get install postgresql)")
if [ ${#missing[@]} -gt 0 ]; then
    if [ -n "${CI:-}" ]; then
        echo "FAILED tests/replicas: missing under CI: ${missing[*]}" >&2
        exit 1
    fi
    echo "SKIPPED tests/replicas: missing ${missing[*]}; nothing was run"
    exit 0
fi
sdk="$repo/tests/sdk"
if [ ! -x "$sdk/.venv/bin/python" ]; then
    python3 -m venv "$sdk/.venv"
fi
"$sdk/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$sdk/requirements.txt"
cd "$repo"
if [ -z "${SKIP_BUILD:-}" ]; then
    cargo build --quiet -p iam-cli
fi
export MODELARTS_IAM_BIN="${MODELARTS_IAM_BIN:-$repo/target/debug/modelarts-iam}"
cd "$here"
NGINX="$nginx_bin" WRK="$wrk_bin" exec "$sdk/.venv/bin/python" -m pytest -q -s -p no:cacheprovider "$@"
