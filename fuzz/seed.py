#!/usr/bin/env python3
"""Seeds the fuzz corpora from the golden corpus: every policy document (parse_policy) and every
case (eval_case) of ../tests/corpus/*.json becomes one seed file."""
import glob, hashlib, json, os

here = os.path.dirname(os.path.abspath(__file__))
for d in ("parse_policy", "eval_case"):
    os.makedirs(os.path.join(here, "corpus", d), exist_ok=True)

def put(target, text):
    h = hashlib.sha1(text.encode()).hexdigest()[:16]
    with open(os.path.join(here, "corpus", target, h), "w") as f:
        f.write(text)

n_p = n_c = 0
for path in sorted(glob.glob(os.path.join(here, "..", "tests", "corpus", "*.json"))):
    for case in json.load(open(path)):
        put("eval_case", json.dumps(case))
        n_c += 1
        docs = list(case.get("identity_policies", [])) + list(case.get("session_policies", []) or [])
        for level in case.get("scps", []) or []:
            docs += level
        for doc in docs:
            put("parse_policy", doc if isinstance(doc, str) else json.dumps(doc))
            n_p += 1
print(f"seeded {n_p} policies and {n_c} cases")
