"""Writes a wrk Lua script that sends one POST /v1/authorize signed with the official SDK's
signer (huaweicloudsdkcore), after checking that it is answered `allow`. The signature holds
for 15 minutes (X-Sdk-Date window).

usage: sign.py ENDPOINT KEY_FILE PRINCIPAL ACTION OUT.lua"""
import json
import sys

import requests

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

endpoint, key_file, principal, action, out = sys.argv[1:6]
key = json.load(open(key_file))
host = endpoint.split("://", 1)[1]
body = json.dumps({"principal": principal, "action": action, "resource": "*",
                   "context": {"g:SourceIp": "10.0.0.1"}}).encode()
req = SdkRequest(method="POST", schema="http", host=host, resource_path="/v1/authorize",
                 uri="/v1/authorize", query_params=[],
                 header_params={"Content-Type": "application/json"}, body=body)
Signer(BasicCredentials(key["access_key_id"], key["secret_access_key"])).sign(req)


def lua(s: str) -> str:
    return json.dumps(s)


with open(out, "w") as f:
    f.write('wrk.method = "POST"\n')
    f.write(f"wrk.body = {lua(body.decode())}\n")
    for name, value in req.header_params.items():
        f.write(f"wrk.headers[{lua(name)}] = {lua(str(value))}\n")

# the signed request really is answered `allow` (a stale or wrong signature would be a 401)
r = requests.post(endpoint + "/v1/authorize", headers=req.header_params, data=body, timeout=10)
if r.status_code != 200 or r.json().get("decision") != "allow":
    sys.exit(f"{endpoint}: the signed request was not allowed: {r.status_code} {r.text}")
