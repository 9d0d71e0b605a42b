"""`serve --ops-listen`: the operations endpoints without a signature on their own listener, for
probes and Prometheus; the main listener keeps refusing unsigned calls."""

import json
import re
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import BINARY
from fake_modelarts import start_iam_server, stop


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ops") / "data"
    proc, endpoint, key = start_iam_server(BINARY, data_dir, "--ops-listen", "127.0.0.1:0")
    try:
        log = (data_dir.parent / (data_dir.name + ".log")).read_text()
        found = re.search(r"operations endpoints \(no signature\) on (http://\S+)", log)
        assert found, log
        yield endpoint, found.group(1), key
    finally:
        stop(proc)


def test_prometheus_parses_the_ops_listeners_metrics_without_credentials(ops_server):
    endpoint, ops, key = ops_server
    # some traffic first, so the counters and histograms have samples
    for _ in range(3):
        get(endpoint + "/v5/users")
    status, content_type, body = get(ops + "/metrics")
    assert status == 200, body
    assert content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body)}
    assert families, "no metric families"
    samples = sum(len(f.samples) for f in families.values())
    assert samples > 0
    # the refused unsigned calls above are counted
    assert any(n.startswith("iam_") for n in families), sorted(families)


def test_probes_and_the_api_document_need_no_signature_on_the_ops_listener(ops_server):
    _, ops, _ = ops_server
    status, _, body = get(ops + "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, _, body = get(ops + "/readyz")
    assert status == 200 and json.loads(body) == {**json.loads(body), "status": "ready", "store": "ok"}
    status, _, body = get(ops + "/openapi.json")
    assert status == 200 and json.loads(body)["openapi"].startswith("3.1")
    # nothing else is served there
    status, _, body = get(ops + "/v5/users")
    assert status == 404 and json.loads(body)["error_code"] == "APIGW.0101"


def test_the_main_listener_still_refuses_unsigned_calls(ops_server):
    endpoint, _, _ = ops_server
    for path in ("/metrics", "/openapi.json", "/v5/users"):
        status, _, body = get(endpoint + path)
        assert status == 401, (path, status, body)
    status, _, _ = get(endpoint + "/healthz")
    assert status == 200
    status, _, _ = get(endpoint + "/readyz")
    assert status == 200
