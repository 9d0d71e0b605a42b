#!/usr/bin/env bash
# The OpenAPI suite: the server's /openapi.json validates against the OpenAPI 3.1 schema, and
# schemathesis sends requests generated from it to every endpoint (signed with the Huawei SDK
# signer): no 5xx, and every response matches its declared status and schema. Installs its
# Python packages into tests/openapi/.venv and builds the server binary.
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
