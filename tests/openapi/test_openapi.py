"""The OpenAPI document against the OpenAPI 3.1 schema, and property tests generated from it.

The server (`modelarts-iam serve`, fresh data directory) is started once. schemathesis builds
valid requests from `/openapi.json` for every operation and sends them signed with the root
user's access key (huaweicloudsdkcore's signer, as the official SDKs sign). Every answer must be
no 5xx, have a status the document declares for the operation, and a body that matches the
declared schema and media type.
"""

import collections
import json
import os
import sys
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from openapi_spec_validator import validate
from schemathesis import GenerationMode, checks

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "sdk"))
from fake_modelarts import start_iam_server, stop  # noqa: E402

BINARY = Path(os.environ.get("MODELARTS_IAM_BIN", REPO / "target" / "debug" / "modelarts-iam"))
EXAMPLES = int(os.environ.get("OPENAPI_EXAMPLES", "25"))
# statuses seen per documented operation (not the method probes schemathesis adds): the suite
# checks that the requests get past authentication and that many succeed
SEEN: dict = collections.defaultdict(collections.Counter)


def query_pairs(query: str) -> list:
    """The query's (name, value) pairs as the server reads them: RFC 3986, so `+` is a plus sign
    (form decoding, as `parse_qsl` does, would make it a space and sign another request)."""
    pairs = []
    for part in filter(None, query.split("&")):
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


class HuaweiSigner(requests.auth.AuthBase):
    """Signs a prepared request the way the official SDKs do (SDK-HMAC-SHA256)."""

    def __init__(self, ak: str, sk: str):
        self.credentials = BasicCredentials(ak, sk)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        url = urlsplit(r.url)
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        sdk = SdkRequest(method=r.method, schema=url.scheme, host=url.netloc,
                         resource_path=url.path, uri=url.path,
                         query_params=query_pairs(url.query),
                         header_params={k: v for k, v in r.headers.items()
                                        if k.lower() in ("content-type",)},
                         body=body)
        Signer(self.credentials).sign(sdk)
        for k, v in sdk.header_params.items():
            r.headers[k] = v
        return r


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    assert BINARY.exists(), f"{BINARY} is missing: run `cargo build -p iam-cli` first"
    proc, endpoint, key = start_iam_server(BINARY, tmp_path_factory.mktemp("openapi-data"))
    # an organization, so that the Organizations APIs have one to act on
    r = requests.post(endpoint + "/v1/organizations", json={},
                      auth=HuaweiSigner(key["access_key_id"], key["secret_access_key"]), timeout=30)
    assert r.status_code == 200, r.text
    yield endpoint, key
    stop(proc)


@pytest.fixture(scope="session")
def document(server):
    endpoint, key = server
    r = requests.get(endpoint + "/openapi.json", auth=HuaweiSigner(key["access_key_id"],
                                                                  key["secret_access_key"]),
                     timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="session")
def api_schema(server, document):
    _, key = server
    schema = schemathesis.openapi.from_dict(document)
    # valid requests only (the document's own constraints), and the caller's own project for
    # the ModelArts APIs (any other project id is someone else's: 404)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE], allow_extra_parameters=False)
    schema.config.update(parameters={"project_id": key["project_id"]})
    return schema


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_every_operation_has_typed_bodies(document):
    """No untyped JSON: every JSON body the document declares names a schema or a type."""
    for path, item in document["paths"].items():
        for method, op in item.items():
            bodies = [("request", op.get("requestBody", {}).get("content", {}))]
            bodies += [(status, r.get("content", {})) for status, r in op["responses"].items()]
            for where, content in bodies:
                for media, c in content.items():
                    schema = c.get("schema", {})
                    typed = schema.get("$ref") or schema.get("properties") or (
                        schema.get("type") not in (None, "object"))
                    assert typed or media != "application/json", \
                        f"{method.upper()} {path} {where}: untyped {media} body {schema}"


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_generated_requests(case, server):
    endpoint, key = server
    response = case.call_and_validate(
        base_url=endpoint,
        auth=HuaweiSigner(key["access_key_id"], key["secret_access_key"]),
        checks=[checks.not_a_server_error, checks.status_code_conformance,
                checks.content_type_conformance, checks.response_schema_conformance],
        timeout=30,
    )
    if case.method.upper() == case.operation.method.upper():
        SEEN[f"{case.method.upper()} {case.path}"][response.status_code] += 1
        if os.environ.get("OPENAPI_SHOW_400") and response.status_code == 400:
            print("400", case.method, case.path, response.text[:300])


def test_generated_requests_got_past_authentication(document):
    """The property test means something only if the signed requests were accepted and served:
    nearly every operation answered something other than 401, and every list operation that
    needs no existing entity (a GET without path parameters) answered 2xx."""
    if not SEEN:
        pytest.skip("the generated tests did not run")
    report = "\n".join(f"{op}: {dict(s)}" for op, s in sorted(SEEN.items()))
    print(report)
    authenticated = [op for op, statuses in SEEN.items() if set(statuses) - {401}]
    assert len(authenticated) >= 0.9 * len(SEEN), report
    lists = [f"GET {path}" for path, item in document["paths"].items()
             if "get" in item and "{" not in path and path != "/v1/gateway/authorize"
             # the console's session is a browser cookie (crates/server/tests/signin.rs, tests/console)
             and path != "/console/api/session"
             # validates the token of the X-Subject-Token header (crates/server/tests/signin.rs)
             and path != "/v3/auth/tokens"]
    assert len(lists) >= 15, lists
    for op in lists:
        assert any(200 <= s < 300 for s in SEEN[op]), f"{op} never succeeded\n{report}"
