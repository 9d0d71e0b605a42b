#!/usr/bin/env bash
# The web console's end-to-end suite: real headless Chromium (Debian's `chromium` and
# `chromium-driver` packages, which .ci/run installs) driven over WebDriver by selenium. Installs
# its pinned Python packages into tests/console/.venv, builds the server binary, and runs pytest
# (the fixtures start and stop the server on a free loopback port with a fresh data directory).
# Screenshots of the main pages go to target/console-screenshots/ (CONSOLE_SCREENSHOTS=docs/console
# refreshes the docs' ones).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
for tool in /usr/bin/chromium /usr/bin/chromedriver; do
    if [ ! -x "$tool" ]; then
        echo "tests/console: $tool is missing (apt-get install chromium chromium-driver)" >&2
        exit 1
    fi
done
if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cargo build --quiet -p iam-cli
export MODELARTS_IAM_BIN="${MODELARTS_IAM_BIN:-${CARGO_TARGET_DIR:-$repo/target}/debug/modelarts-iam}"
cd "$here"
exec "$here/.venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
