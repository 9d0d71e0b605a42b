#!/usr/bin/env bash
# Real nginx (Debian's package, /usr/sbin/nginx) in front of a ModelArts-compatible test upstream,
# enforcing modelarts-iam through auth_request (tests/nginx/nginx.conf.template), driven by the
# official Huawei SDKs. Uses the SDK suite's virtualenv (tests/sdk/.venv). Skips, saying so, only
# when nginx is not installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
nginx_bin="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
if [ ! -x "$nginx_bin" ]; then
    echo "SKIPPED tests/nginx: nginx is not installed (apt-get install nginx); nothing was run"
    exit 0
fi
sdk="$repo/tests/sdk"
if [ ! -x "$sdk/.venv/bin/python" ]; then
    python3 -m venv "$sdk/.venv"
fi
"$sdk/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$sdk/requirements.txt"
cd "$repo"
cargo build --quiet -p iam-cli
cd "$here"
NGINX="$nginx_bin" exec "$sdk/.venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
