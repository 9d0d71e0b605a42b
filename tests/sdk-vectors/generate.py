#!/usr/bin/env python3
"""Generate SDK-HMAC-SHA256 test vectors with the official Huawei Cloud Python SDK.

Every request goes through the SDK's real client pipeline (huaweicloudsdkcore.client.Client:
path/query/header/body processing, credentials, huaweicloudsdkcore.signer.signer.Signer, the
`requests` session) to a capture server on 127.0.0.1, so the vectors hold the request exactly
as it appeared on the wire. The SDK's own canonical request and string-to-sign are recorded by
wrapping Signer methods.

Usage (see crates/signing/README.md):
    python3 -m venv /tmp/sdkvenv && /tmp/sdkvenv/bin/pip install huaweicloudsdkcore
    /tmp/sdkvenv/bin/python tests/sdk-vectors/generate.py crates/signing/tests/vectors/sdk.json
"""

import importlib.metadata
import json
import os
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The SDK persists an application id under ~/.huaweicloud and puts it in User-Agent; keep it out
# of the real home directory.
os.environ["HOME"] = tempfile.mkdtemp(prefix="sdkvec-home-")

from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials  # noqa: E402
from huaweicloudsdkcore.client import Client, ClientBuilder  # noqa: E402
from huaweicloudsdkcore.http.http_config import HttpConfig  # noqa: E402
from huaweicloudsdkcore.signer.signer import Signer  # noqa: E402

AK = "AKEXAMPLE0000000000"
SK = "SKEXAMPLE0000000000000000000000000000000"
AK2 = "HST3UQ4WW1XG0EXAMPLE"
SK2 = "aB3+/x9Zq0-Wp7~KEY,with;odd=chars"
PROJECT = "0123456789abcdef0123456789abcdef"
DOMAIN = "fedcba9876543210fedcba9876543210"
TOKEN = "gQpjbi1ub3J0aC00ipwz+EXAMPLE/TOKEN=="

captured = []
sdk_internals = []


class Capture(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        captured.append({
            "method": self.command,
            "target": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8"),
        })
        out = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, *args):
        pass


_orig_canonical = Signer._process_canonical_request
_orig_sts = Signer._process_string_to_sign


def _canonical(self, request, signed_headers):
    c = _orig_canonical(self, request, signed_headers)
    sdk_internals.append({"canonical_request": c})
    return c


def _sts(self, canonical_request, t):
    s = _orig_sts(self, canonical_request, t)
    sdk_internals[-1]["string_to_sign"] = s
    return s


Signer._process_canonical_request = _canonical
Signer._process_string_to_sign = _sts


def client_for(endpoint, cred, cred_type="BasicCredentials"):
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 10)
    cfg.user_agent = "sdk-vectors"
    return ClientBuilder(Client, cred_type).with_http_config(cfg).with_credentials(cred) \
        .with_endpoint(endpoint).build()


def cases(endpoint):
    basic = BasicCredentials(AK, SK, PROJECT)
    temp = BasicCredentials(AK2, SK2, PROJECT).with_security_token(TOKEN)
    glob = GlobalCredentials(AK, SK, DOMAIN)
    no_project = BasicCredentials(AK2, SK2)
    d1, d2, d3 = "20250101T000000Z", "20260630T235959Z", "20241231T120000Z"
    P = "/v1/{project_id}"
    # (name, credentials, cred_type, method, resource_path, path_params, query, headers, body)
    return [
        ("get-list", basic, "BasicCredentials", "GET", P + "/notebooks", None,
         [("offset", 0), ("limit", 10)], {}, None),
        ("post-json", basic, "BasicCredentials", "POST", "/v2/{project_id}/training-job-searches",
         None, [], {}, {"limit": 10}),
        ("put-json-charset", basic, "BasicCredentials", "PUT", P + "/notebooks/{id}",
         {"id": "nb-01"}, [], {"Content-Type": "application/json;charset=utf-8"},
         {"name": "nb", "description": "héllo wörld ☃", "flavor": "modelarts.vm.cpu.2u"}),
        ("delete-no-body", basic, "BasicCredentials", "DELETE", P + "/notebooks/{id}",
         {"id": "nb-04"}, [], {}, None),
        ("get-no-query", basic, "BasicCredentials", "GET", P + "/workspaces", None, [], {}, None),
        ("get-trailing-slash", basic, "BasicCredentials", "GET", P + "/workspaces/", None, [], {}, None),
        ("get-root", basic, "BasicCredentials", "GET", "/", None, [], {}, None),
        ("path-param-unicode", basic, "BasicCredentials", "GET", P + "/models/{name}",
         {"name": "模型-ü~é"}, [], {}, None),
        ("path-param-reserved", basic, "BasicCredentials", "GET", P + "/objects/{key}",
         {"key": "a b/c?d#e[f]@g!$&'()*+,;=%h"}, [], {}, None),
        ("path-raw-unicode", basic, "BasicCredentials", "GET", "/v1/données/ñ", None, [], {}, None),
        ("query-unsorted", basic, "BasicCredentials", "GET", P + "/jobs", None,
         [("z", "last"), ("a", "first"), ("m", "middle"), ("B", "upper")], {}, None),
        ("query-repeated-list", basic, "BasicCredentials", "GET", P + "/jobs", None,
         [("status", ["Running", "Failed", "Completed"]), ("a", "1")], {}, None),
        ("query-repeated-tuples", basic, "BasicCredentials", "GET", P + "/jobs", None,
         [("tag", "b"), ("tag", "a"), ("tag", "c")], {}, None),
        ("query-int-list-native-order", basic, "BasicCredentials", "GET", P + "/jobs", None,
         [("ids", [10, 9, 100]), ("x", 1)], {}, None),
        ("query-empty-values", basic, "BasicCredentials", "GET", P + "/jobs", None,
         [("empty", ""), ("name", ""), ("a", "x")], {}, None),
        ("query-reserved-unicode", basic, "BasicCredentials", "GET", P + "/search", None,
         [("q", "a b&c=d/e?f+g%h"), ("name", "名字"), ("tilde", "~x~"), ("star", "*!'()")], {}, None),
        ("query-bool", basic, "BasicCredentials", "GET", P + "/jobs", None,
         [("show_all", True), ("deleted", False)], {}, None),
        ("query-keys-reserved", basic, "BasicCredentials", "GET", P + "/jobs", None,
         [("a b", "1"), ("a-b", "2"), ("é", "3"), ("z", "4")], {}, None),
        ("security-token-get", temp, "BasicCredentials", "GET", P + "/notebooks", None,
         [("limit", 5)], {}, None),
        ("security-token-post", temp, "BasicCredentials", "POST", "/v5/agencies/assume", None, [], {},
         {"agency_urn": "iam::123:agency:a", "agency_session_name": "s", "duration_seconds": 3600}),
        ("global-domain-id", glob, "GlobalCredentials", "GET", "/v5/policies", None,
         [("limit", 100), ("marker", "abc")], {}, None),
        ("global-domain-post", glob, "GlobalCredentials", "POST", "/v5/policies", None, [], {},
         {"policy_name": "p", "policy_document": "{\"Version\":\"5.0\",\"Statement\":[]}"}),
        ("no-project-header", no_project, "BasicCredentials", "GET", "/v3/projects", None,
         [("name", "cn-north-4")], {}, None),
        ("text-plain-unsigned", basic, "BasicCredentials", "POST", P + "/logs", None, [],
         {"Content-Type": "text/plain"}, "line one\nline two\n"),
        ("xml-unsigned", basic, "BasicCredentials", "PUT", P + "/config", None, [],
         {"Content-Type": "application/xml"}, "<a><b>1</b></a>"),
        ("form-unsigned", basic, "BasicCredentials", "POST", P + "/form", None, [],
         {"Content-Type": "application/x-www-form-urlencoded"}, {"a": "1", "b": "x y"}),
        ("text-plain-empty-body", basic, "BasicCredentials", "DELETE", P + "/logs/{id}", {"id": "7"},
         [], {"Content-Type": "text/plain"}, None),
        ("extra-headers", basic, "BasicCredentials", "GET", P + "/notebooks", None, [("limit", 1)],
         {"X-Language": "en-us", "X-Request-Source": "  padded value  ", "X_Underscore": "unsigned",
          "X-Empty": ""}, None),
        ("post-empty-json", basic, "BasicCredentials", "POST", P + "/notebooks/{id}/start",
         {"id": "nb-02"}, [], {}, None),
        ("post-big-json", basic, "BasicCredentials", "POST", P + "/notebooks", None, [], {},
         {"items": [{"k": i, "v": "x" * 20} for i in range(40)]}),
        ("patch-json", basic, "BasicCredentials", "PATCH", P + "/notebooks/{id}", {"id": "nb-03"},
         [], {}, {"name": "renamed"}),
        ("different-date-1", basic, "BasicCredentials", "GET", P + "/notebooks", None, [], {}, None),
        ("different-date-2", temp, "BasicCredentials", "GET", P + "/notebooks", None, [], {}, None),
    ], {"different-date-1": d2, "different-date-2": d3, "_default": d1}


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "crates/signing/tests/vectors/sdk.json"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]

    case_list, dates = cases(endpoint)
    vectors = []
    for case in case_list:
        name, cred, cred_type, method, path, path_params, query, headers, body = case
        date = dates.get(name, dates["_default"])
        header_params = dict(headers)
        header_params["X-Sdk-Date"] = date
        client = client_for(endpoint, cred, cred_type)
        before = len(captured)
        try:
            client.do_http_request(method=method, resource_path=path, path_params=path_params,
                                   query_params=list(query), header_params=header_params, body=body)
        except AttributeError:
            pass  # the bare core Client has no response model to deserialise into
        assert len(captured) == before + 1, name
        wire = captured[-1]
        target = wire["target"]
        wire_path, _, wire_query = target.partition("?")
        ak = cred.ak
        sk = cred.sk
        vectors.append({
            "name": name,
            "method": wire["method"],
            "path": wire_path,
            "query": wire_query,
            "headers": wire["headers"],
            "body": wire["body"],
            "ak": ak,
            "sk": sk,
            "security_token": getattr(cred, "security_token", None),
            "sdk_date": date,
            "sdk_canonical_request": sdk_internals[-1]["canonical_request"],
            "sdk_string_to_sign": sdk_internals[-1]["string_to_sign"],
        })
    server.shutdown()

    doc = {
        "generator": "tests/sdk-vectors/generate.py",
        "sdk": "huaweicloudsdkcore " + importlib.metadata.version("huaweicloudsdkcore"),
        "vectors": vectors,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(vectors), out_path))


if __name__ == "__main__":
    main()
