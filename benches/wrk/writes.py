"""Write throughput and, with --followers, propagation delay of a modelarts-iam store:
creates N users through ENDPOINT (POST /v5/users, signed with the official SDK's signer by
CONCURRENCY threads) and prints writes/second. With --followers URL,URL... (replicas on the
same PostgreSQL database), after each acknowledged write it polls their /readyz until every
one reports a revision at least the write's X-IAM-Revision, and prints p50/p99/max of that
delay (sequential writes then, one at a time).

usage: writes.py ENDPOINT KEY_FILE N CONCURRENCY [--followers URL,URL]"""
import json
import sys
import threading
import time
import uuid

import requests

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

endpoint, key_file, n, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
followers = []
if "--followers" in sys.argv:
    followers = sys.argv[sys.argv.index("--followers") + 1].split(",")
key = json.load(open(key_file))
signer = Signer(BasicCredentials(key["access_key_id"], key["secret_access_key"]))
host = endpoint.split("://", 1)[1]
prefix = uuid.uuid4().hex[:8]


def write(session: requests.Session, i: int) -> int:
    body = json.dumps({"name": f"w{prefix}-{i}", "enabled": True}).encode()
    req = SdkRequest(method="POST", schema="http", host=host, resource_path="/v5/users",
                     uri="/v5/users", query_params=[],
                     header_params={"Content-Type": "application/json"}, body=body)
    signer.sign(req)
    r = session.post(endpoint + "/v5/users", headers=req.header_params, data=body, timeout=30)
    if r.status_code != 200:
        sys.exit(f"write {i}: {r.status_code} {r.text}")
    return int(r.headers["X-IAM-Revision"])


if followers:
    s = requests.Session()
    polls = [requests.Session() for _ in followers]
    delays = []
    for i in range(n):
        token = write(s, i)
        acked = time.perf_counter()
        for url, p in zip(followers, polls):
            while p.get(url + "/readyz", timeout=5).json()["revision"] < token:
                if time.perf_counter() - acked > 10:
                    sys.exit(f"{url} did not reach revision {token} within 10 s")
        delays.append(time.perf_counter() - acked)
    delays.sort()
    q = lambda f: delays[int((len(delays) - 1) * f)] * 1000
    print(f"propagation over {n} writes to {len(followers)} replicas: "
          f"p50 {q(0.5):.2f} ms, p99 {q(0.99):.2f} ms, max {delays[-1] * 1000:.2f} ms")
    sys.exit(0)

done = 0
lock = threading.Lock()


def worker(t: int) -> None:
    global done
    s = requests.Session()
    for i in range(t, n, concurrency):
        write(s, i)
        with lock:
            done += 1


start = time.perf_counter()
threads = [threading.Thread(target=worker, args=(t,)) for t in range(concurrency)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - start
if done != n:
    sys.exit(f"only {done} of {n} writes were acknowledged")
print(f"{n} writes with {concurrency} clients in {elapsed:.2f} s: {n / elapsed:.0f} writes/s "
      f"({elapsed / n * concurrency * 1000:.1f} ms per write per client)")
