"""Starts `modelarts-iam serve` on a free loopback port with a fresh data directory and hands the
tests clients of the official Huawei Cloud SDKs pointed at it (`with_endpoint`)."""

import json
import os
from pathlib import Path

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkiam.v5 import IamClient
from huaweicloudsdkiamaccessanalyzer.v1 import IAMAccessAnalyzerClient
from huaweicloudsdkorganizations.v1 import OrganizationsClient

from fake_modelarts import start_iam_server, stop

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("MODELARTS_IAM_BIN", REPO / "target" / "debug" / "modelarts-iam"))


class Server:
    def __init__(self, endpoint: str, key: dict, data_dir: Path):
        self.endpoint = endpoint
        self.key = key
        self.data_dir = data_dir
        self.ak = key["access_key_id"]
        self.sk = key["secret_access_key"]
        self.account_id = key["account_id"]
        self.project_id = key["project_id"]

    def http_config(self) -> HttpConfig:
        cfg = HttpConfig.get_default_config()
        cfg.timeout = (5, 30)
        return cfg

    def iam(self, ak=None, sk=None) -> IamClient:
        cred = GlobalCredentials(ak or self.ak, sk or self.sk, self.account_id)
        return (IamClient.new_builder().with_http_config(self.http_config())
                .with_credentials(cred).with_endpoint(self.endpoint).build())

    def organizations(self, ak=None, sk=None) -> OrganizationsClient:
        cred = GlobalCredentials(ak or self.ak, sk or self.sk, self.account_id)
        return (OrganizationsClient.new_builder().with_http_config(self.http_config())
                .with_credentials(cred).with_endpoint(self.endpoint).build())

    def analyzer(self) -> IAMAccessAnalyzerClient:
        cred = BasicCredentials(self.ak, self.sk, self.project_id)
        return (IAMAccessAnalyzerClient.new_builder().with_http_config(self.http_config())
                .with_credentials(cred).with_endpoint(self.endpoint).build())

    def call(self, method: str, path: str, body=None, ak=None, sk=None) -> requests.Response:
        """A request signed with huaweicloudsdkcore's own signer (for APIs without an SDK)."""
        host = self.endpoint.split("://", 1)[1]
        data = json.dumps(body).encode() if body is not None else b""
        req = SdkRequest(method=method, schema="http", host=host, resource_path=path, uri=path,
                         query_params=[], header_params={"Content-Type": "application/json"},
                         body=data)
        Signer(BasicCredentials(ak or self.ak, sk or self.sk)).sign(req)
        return requests.request(method, self.endpoint + req.uri, headers=req.header_params,
                                data=data, timeout=30)

    def authorize(self, principal: str, action: str, resource: str = "*", **kw) -> dict:
        body = {"principal": principal, "action": action, "resource": resource}
        body.update(kw)
        r = self.call("POST", "/v1/authorize", body)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    assert BINARY.exists(), f"{BINARY} is missing: run `cargo build -p iam-cli` first"
    data_dir = tmp_path_factory.mktemp("iam-data")
    proc, endpoint, key = start_iam_server(BINARY, data_dir)
    try:
        key_file = data_dir / "root-access-key.json"
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
        assert oct((data_dir / "master.key").stat().st_mode & 0o777) == "0o600"
        yield Server(endpoint, key, data_dir)
    finally:
        stop(proc)


# Fields the server may leave empty in a response: absent by design (`next_marker` on the last
# page) or about features it does not keep (contact details of accounts, tags, login data).
MAY_BE_ABSENT = {
    "next_marker", "mobile_phone", "intl_number_prefix", "email", "tags", "last_login_at",
    "password_reset_required", "password_expires_at", "x_request_id", "trust_domain_id",
    "trust_domain_name", "failure_reason", "completed_at",
}


def absent_fields(obj, path="") -> list:
    """Dotted paths of the fields an official-SDK response model declares that the server left
    empty (None), ignoring MAY_BE_ABSENT; recurses into nested models and lists of models."""
    out = []
    for attr in getattr(obj, "openapi_types", {}):
        value = getattr(obj, attr, None)
        here = f"{path}.{attr}" if path else attr
        if value is None:
            if attr not in MAY_BE_ABSENT:
                out.append(here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                out += absent_fields(item, f"{here}[{i}]")
        else:
            out += absent_fields(value, here)
    return out


def assert_complete(response, *also_absent):
    """Every field of the SDK's response model is filled (the JSON shape matches Huawei's)."""
    missing = [p for p in absent_fields(response) if p.rsplit(".", 1)[-1] not in also_absent]
    assert not missing, f"{type(response).__name__}: fields the server did not fill: {missing}"
