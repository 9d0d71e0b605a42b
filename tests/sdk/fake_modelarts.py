"""A small ModelArts-compatible upstream for the gateway tests: answers the calls the suites make
(`list_notebooks`, `list_training_jobs`, `show_training_job_details`) in the shapes
`huaweicloudsdkmodelarts` deserialises, and records every request it receives (method, the exact
request target, path, query, headers, body) so tests can check what the gateway forwarded. It
trusts whatever the gateway says in the `X-Iam-*` headers and checks nothing itself: it stands for
a backend that sits behind the gateway.

Also runnable on its own: `python fake_modelarts.py --port 9000` (used by tests/nginx/run.sh).
"""

import argparse
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _notebook(i: int) -> dict:
    return {"id": f"nb-{i}", "name": f"notebook-{i}", "status": "RUNNING", "flavor": "modelarts.vm.cpu.2u",
            "workspace_id": "0", "feature": "NOTEBOOK"}


def _job(job_id: str) -> dict:
    return {"kind": "job", "metadata": {"id": job_id, "name": f"job-{job_id}", "workspace_id": "0"},
            "status": {"phase": "Running", "secondary_phase": "Running", "duration": 42}}


ROUTES = [
    ("GET", re.compile(r"^/v1/[^/]+/notebooks/?$"),
     lambda m, body: {"current": 0, "data": [_notebook(1), _notebook(2)], "pages": 1, "size": 2, "total": 2}),
    ("POST", re.compile(r"^/v2/[^/]+/training-job-searches/?$"),
     lambda m, body: {"total": 1, "count": 1, "limit": body.get("limit", 10), "offset": body.get("offset", 0),
                      "sort_by": "create_time", "order": "desc", "group_by": "", "workspace_id": "0",
                      "ai_project": "default-ai-project", "train_type": "", "items": [_job("job-1")]}),
    ("GET", re.compile(r"^/v2/[^/]+/training-jobs/(?P<id>[^/]+)/?$"),
     lambda m, body: _job(m.group("id"))),
    ("POST", re.compile(r"^/v2/[^/]+/training-jobs/?$"),
     lambda m, body: _job("job-new")),
    ("POST", re.compile(r"^/v1/[^/]+/notebooks/?$"),
     lambda m, body: _notebook(9) | {"workspace_id": body.get("workspace_id", "0")}),
    ("POST", re.compile(r"^/v1/[^/]+/services/?$"),
     lambda m, body: {"service_id": "svc-1", "resource_ids": []}),
    ("POST", re.compile(r"^/v2/[^/]+/services/?$"),
     lambda m, body: {"id": "svc-2", "name": body.get("name", "svc"), "workspace_id": "0",
                      "type": "REAL_TIME", "deploy_type": "REAL_TIME", "status": "DEPLOYING"}),
]

# The gateway's resource lookup (docs/gateway.md, "Resource lookup"): answered from
# `FakeModelArts.attributes` (URN -> {"enterprise_project_id", "workspace_id", "tags"}), with the
# URN echoed in `resource`; 404 `{"resource": <URN>}` for any other resource. Lookups are listed
# in `FakeModelArts.lookups`, not in `records`.
LOOKUP_PATH = "/iam/resource-attributes"


class FakeModelArts:
    """The upstream server; `records` lists the requests received, oldest first."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.records: list[dict] = []
        self.attributes: dict[str, dict] = {}
        self.lookups: list[str] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):  # quiet
                pass

            def _handle(self):
                parts = urlsplit(self.path)
                if parts.path == LOOKUP_PATH and self.command == "GET":
                    urn = parse_qs(parts.query).get("resource", [""])[0]
                    with outer.lock:
                        outer.lookups.append(urn)
                        found = outer.attributes.get(urn)
                    if found is None:
                        self._send(404, {"resource": urn})
                    else:
                        self._send(200, {"resource": urn} | found)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                # `target` is the request target exactly as received; `header_list` every header
                # line in order, duplicates included (`headers` keeps the last of each name)
                record = {"method": self.command, "target": self.path, "path": parts.path,
                          "query": parts.query,
                          "headers": {k.lower(): v for k, v in self.headers.items()},
                          "header_list": [(k, v) for k, v in self.headers.items()],
                          "body": raw.decode("utf-8", "replace")}
                with outer.lock:
                    outer.records.append(record)
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {}
                for method, pattern, answer in ROUTES:
                    m = pattern.match(parts.path)
                    if m and method == self.command:
                        self._send(200, answer(m, body if isinstance(body, dict) else {}))
                        return
                self._send(404, {"error_code": "ModelArts.0404", "error_msg": f"no fake for {self.command} {parts.path}"})

            def _send(self, status, doc):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Upstream", "fake-modelarts")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "FakeModelArts":
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def last(self) -> dict:
        with self.lock:
            return self.records[-1]

    def count(self) -> int:
        with self.lock:
            return len(self.records)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9000)
    args = ap.parse_args()
    srv = FakeModelArts(args.host, args.port)
    print(f"fake ModelArts listening on {srv.url}", flush=True)
    srv.httpd.serve_forever()


def start_iam_server(binary, data_dir, *extra_args, port=None):
    """Starts `modelarts-iam serve` on a free loopback port (or `port`) with `extra_args` (e.g.
    `--upstream URL`); returns (process, endpoint, root key dict). The server creates `data_dir`
    (owner only) when it is missing; its output goes to `<data_dir>.log` next to it. Stop it with
    `stop(process)`."""
    import os
    import socket
    import subprocess
    import time
    import urllib.request
    from pathlib import Path

    if port is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    data_dir = Path(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    endpoint = f"http://127.0.0.1:{port}"
    log_path = data_dir.parent / (data_dir.name + ".log")
    # MODELARTS_IAM_* variables are server settings (unknown ones are rejected): do not pass
    # the tests' own on
    env = {k: v for k, v in os.environ.items() if k != "MODELARTS_IAM_BIN"}
    with open(log_path, "ab") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([str(binary), "serve", "--listen", f"127.0.0.1:{port}",
                                 "--data-dir", str(data_dir), *extra_args],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError("server exited: " + log_path.read_text())
        try:
            with urllib.request.urlopen(endpoint + "/healthz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            proc.kill()
            raise RuntimeError("server did not start: " + log_path.read_text())
        time.sleep(0.1)
    key = json.loads((data_dir / "root-access-key.json").read_text())
    return proc, endpoint, key


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:  # noqa: BLE001 - last resort
        proc.kill()
