#!/usr/bin/env bash
# The official-SDK suite: installs the pinned Huawei Cloud SDKs into tests/sdk/.venv, builds the
# server binary, and runs pytest (the fixtures start and stop the server on a free loopback port).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cargo build --quiet -p iam-cli
cd "$here"
exec "$here/.venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
