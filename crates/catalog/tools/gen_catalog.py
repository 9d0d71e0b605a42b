#!/usr/bin/env python3
"""One-off generator for crates/catalog/data/*.json.

It reads the two seed pages (../shared/seeds) and the hand-maintained tables below (IAM v5, STS,
Organizations, Access Analyzer, global condition keys, notes, system policies) and writes one JSON
file per service plus the dependency / agency-scope / notes / system-policy files.

The committed JSON files are the source of truth; this script exists so the extraction can be
re-run and reviewed. Usage (from the workspace root):

    python3 crates/catalog/tools/gen_catalog.py /work/shared/seeds crates/catalog/data
"""
import json
import os
import re
import sys

SEEDS = sys.argv[1] if len(sys.argv) > 1 else "../shared/seeds"
OUT = sys.argv[2] if len(sys.argv) > 2 else "crates/catalog/data"

SEED_ACTIONS = "004_c47cc31385bcbbf8.txt"
SEED_DEPS = "000_1d05ada3d1d13cde.txt"


def lines(name):
    with open(os.path.join(SEEDS, name), encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip()]


# ------------------------------------------------------------------------------------------------
# Seed 004: Tables 1-4
# ------------------------------------------------------------------------------------------------
L = lines(SEED_ACTIONS)


def section(start_pred, end_pred):
    s = next(i for i, l in enumerate(L) if start_pred(l))
    e = next(i for i, l in enumerate(L) if i > s and end_pred(l))
    return L[s + 1 : e]


t1 = section(lambda l: l.startswith("Table 1 "), lambda l: l.startswith("Each API of modelarts"))
assert t1[:6] == ["Action", "Description", "Access Level", "Resource Type (*: required)", "Condition Key", "Alias"], t1[:6]
t1 = t1[6:]
rows = []
for l in t1:
    if re.match(r"^modelarts:\w+:\w+$", l):
        rows.append([l])
    else:
        rows[-1].append(l)

ACCESS = {"List": "List", "Read": "Read", "Write": "Write", "Permission_management": "Permission_management", "Tagging": "Tagging"}


def split_keys(cell):
    return [] if cell == "-" else [k.strip() for k in cell.split(",") if k.strip()]


modelarts_actions = []
for i, r in enumerate(rows, start=1):
    name, desc, level, *cells = r
    # Layout (flattened HTML with rowspan): resource row 1 (type, condition key), alias,
    # then optionally resource row 2 (type "-", condition key) whose key is action-wide.
    res1 = cells[0] if len(cells) > 0 else "-"
    cond1 = cells[1] if len(cells) > 1 else "-"
    alias = cells[2] if len(cells) > 2 else "-"
    res2 = cells[3] if len(cells) > 3 else None
    cond2 = cells[4] if len(cells) > 4 else "-"
    assert len(cells) <= 5, r
    assert res2 in (None, "-"), r
    resources = []
    action_wide = []
    if res1 != "-":
        m = re.match(r"^(\w+)( \*)?$", res1)
        assert m, r
        resources.append({"resource_type": m.group(1), "required": bool(m.group(2)), "condition_keys": split_keys(cond1)})
    else:
        action_wide += split_keys(cond1)
    action_wide += split_keys(cond2)
    modelarts_actions.append(
        {
            "name": name,
            "description": desc,
            "access_level": ACCESS[level],
            "resources": resources,
            "condition_keys": action_wide,
            "aliases": split_keys(alias),
            "source": "seed",
            "published_in": f"004 Table 1 row {i}",
        }
    )

t2 = section(lambda l: l.startswith("Table 2 "), lambda l: l == "Resources")
assert t2[:3] == ["API", "对应的授权项", "依赖的授权项"], t2[:3]
t2 = t2[3:]
route_rows = []
for l in t2:
    if re.match(r"^(GET|POST|PUT|PATCH|DELETE|HEAD) /", l):
        route_rows.append([l])
    else:
        route_rows[-1].append(l)

COLLECTION_TO_TYPE = {
    "notebooks": "notebook",
    "images": "image",
    "models": "model",
    "services": "service",
    "training-jobs": "trainJob",
    "algorithms": "aiAlgorithm",
    "networks": "network",
    "workflows": "workflow",
    "workspaces": "workspace",
    "datasets": "dataset",
    "pools": "pool",
    "dev-servers": "devserver",
}


def resource_params_for(path):
    """Map resource type -> path parameter, from `<collection>/{param}` pairs after the project id."""
    segs = path.strip("/").split("/")
    out = {}
    for a, b in zip(segs, segs[1:]):
        if a in COLLECTION_TO_TYPE and b.startswith("{") and b != "{project_id}":
            t = COLLECTION_TO_TYPE[a]
            out.setdefault(t, b[1:-1])
            if t == "dataset":
                # Labels and samples live inside a dataset: a dataAnnotation URN carries the dataset id.
                out.setdefault("dataAnnotation", b[1:-1])
    # `/statistics/pools/{pool_name}/...`
    return out


modelarts_routes = []
for i, r in enumerate(route_rows, start=1):
    head, *rest = r
    assert len(rest) == 2, r
    method, path = head.split(" ", 1)
    acts = [a.strip() for a in rest[0].split(",") if a.strip() and a.strip() != "-"]
    deps = [a.strip() for a in rest[1].split(",") if a.strip() and a.strip() != "-"]
    modelarts_routes.append(
        {
            "method": method,
            "path": path,
            "actions": acts,
            "dependent_actions": deps,
            "resource_params": resource_params_for(path),
            "source": "seed",
            "published_in": f"004 Table 2 row {i}",
        }
    )

t3 = section(lambda l: l.startswith("Table 3 "), lambda l: l == "Conditions")
assert t3[:2] == ["Resource Type", "URN"]
t3 = t3[2:]
modelarts_types = [
    {"name": t3[i], "urn_template": t3[i + 1], "source": "seed", "published_in": "004 Table 3"}
    for i in range(0, len(t3), 2)
]

t4_start = next(i for i, l in enumerate(L) if l.startswith("Table 4 "))
t4 = L[t4_start + 1 :]
assert t4[:4] == ["Service-specific Condition Key", "Type", "Single-valued/Multivalued", "Description"]
t4 = t4[4:]
VT = {"string": "String", "number": "Number", "boolean": "Bool", "date": "Date", "ip": "Ip"}
modelarts_keys = [
    {
        "name": t4[i],
        "value_type": VT[t4[i + 1].lower()],
        "multi_valued": t4[i + 2] != "Single-valued",
        "inferred": False,
        "unverified": False,
        "description": t4[i + 3],
        "source": "seed",
        "published_in": "004 Table 4",
    }
    for i in range(0, len(t4), 4)
]

# ------------------------------------------------------------------------------------------------
# Seed 000: Tables 1-14
# ------------------------------------------------------------------------------------------------
D = lines(SEED_DEPS)
SERVICES = {
    "IAM": "iam", "BSS": "bss", "ModelArts": "modelarts", "OBS": "obs", "SWR": "swr", "ECS": "ecs",
    "SFS Turbo": "sfsturbo", "SMN": "smn", "LTS": "lts", "CES": "ces", "IEF": "ief", "DLI": "dli",
    "MRS": "mrs", "DWS": "dws", "VPC": "vpc", "AOM": "aom", "ModelArts inference": "modelarts",
}
SYSTEM_POLICIES = {"SWR Admin", "SFS Turbo FullAccess"}
ACTION_RE = re.compile(r"^([a-z][a-z0-9-]*:[A-Za-z0-9_*?:]*)(?:\s+\((.*)\))?$")


def policy_ref(line):
    if line in SYSTEM_POLICIES:
        return {"published": line, "kind": "system_policy", "name": line}
    m = ACTION_RE.match(line)
    if not m:
        return None
    name, expl = m.group(1), m.group(2)
    norm = name.rstrip(":")
    ref = {"published": line, "kind": "pattern" if ("*" in norm or "?" in norm) else "action", "name": norm}
    if expl:
        ref["explanation"] = expl
    return ref


def parse_tables(first, last):
    out = []
    idx = [i for i, l in enumerate(D) if re.match(r"^Table \d+ ", l)]
    for n, s in enumerate(idx):
        num = int(D[s].split()[1])
        if not (first <= num <= last):
            continue
        title = D[s].split(" ", 2)[2]
        end = idx[n + 1] if n + 1 < len(idx) else len(D)
        body = D[s + 1 : end]
        if num == 9:
            body = body[: body.index("Agency authorization")]
        ncols = 5 if "Configuration Suggestion" in body[:5] else 4
        header, body = body[:ncols], body[ncols:]
        rows, scenario, row = [], None, None
        i = 0
        while i < len(body):
            l = body[i]
            nxt = body[i + 1] if i + 1 < len(body) else None
            ref = policy_ref(l)
            if l in SERVICES and not ref:
                row = {"table": num, "table_title": title, "scenario": scenario, "service": l, "policies": [], "functions": []}
                if ncols == 5:
                    row["suggestion"] = None
                rows.append(row)
            elif ref:
                if row["functions"]:
                    row = dict(row, policies=[], functions=[])
                    if ncols == 5:
                        row["suggestion"] = None
                    rows.append(row)
                row["policies"].append(ref)
            elif nxt in SERVICES and not l.endswith("."):
                scenario = l
            elif ncols == 5 and l in ("Recommended", "Optional", "Not recommended"):
                row["suggestion"] = l
            else:
                row["functions"].append(l)
            i += 1
        out += rows
    return out


dep_rows = parse_tables(1, 9)
for r in dep_rows:
    # An empty "supported function" cell is a merged cell: the function of the row above applies.
    r["function_merged_with_previous"] = not r["functions"]
    r["mandatory"] = any(f.startswith("(Mandatory)") for f in r["functions"])
    r["dependent_service"] = r.pop("service")
    r["source"] = "seed"
agency_rows = parse_tables(10, 14)
for r in agency_rows:
    r["description_merged_with_previous"] = not r["functions"]
    r["dependent_service"] = r.pop("service")
    r["actions"] = r.pop("policies")
    r["descriptions"] = r.pop("functions")
    r["source"] = "seed"

# ------------------------------------------------------------------------------------------------
# Other services named in the seeds (access level inferred from the operation name)
# ------------------------------------------------------------------------------------------------
PERM = {"putbucketacl", "putobjectacl", "putbucketpolicy", "deletebucketpolicy", "createagency"}


def infer_level(op):
    o = op.lower()
    if o in PERM:
        return "Permission_management"
    if o.startswith(("list", "displayall")) or o == "list_all":
        return "List"
    if o.startswith(("get", "show", "head", "describe", "view", "query")) or o in ("view", "describe_table", "getdetail"):
        return "Read"
    return "Write"


mentions = {}  # lower name -> (canonical name, [where])
canonical_case = {}
for r in dep_rows + agency_rows:
    refs = r.get("policies") or r.get("actions")
    where = f"000 Table {r['table']}"
    for ref in refs:
        if ref["kind"] != "action":
            continue
        key = ref["name"].lower()
        if key not in mentions:
            mentions[key] = (ref["name"], [])
        if where not in mentions[key][1]:
            mentions[key][1].append(where)
# Preferred spellings where the seed spells one action two ways.
PREFERRED = {"obs:bucket:listallmybuckets": "obs:bucket:ListAllMyBuckets", "ief:iefinstance:list": "ief:IEFInstance:list"}
for k, v in PREFERRED.items():
    if k in mentions:
        mentions[k] = (v, mentions[k][1])

t1_names = {a["name"].lower() for a in modelarts_actions}
for r in modelarts_routes:
    for a in r["actions"]:
        if a.lower() not in t1_names:
            mentions.setdefault(a.lower(), (a, []))[1].append(r["published_in"].rsplit(" row", 1)[0])

service_actions = {}
for key, (name, where) in sorted(mentions.items()):
    svc = name.split(":")[0]
    if svc == "modelarts" and key in t1_names:
        continue
    op = name.split(":")[-1]
    entry = {
        "name": name,
        "description": "",
        "access_level": infer_level(op),
        "resources": [],
        "condition_keys": [],
        "aliases": [],
        "inferred": True,
        "source": "seed",
        "published_in": ", ".join(sorted(set(where))),
    }
    if svc == "modelarts":
        entry["referenced_only"] = True
    service_actions.setdefault(svc, []).append(entry)

# ------------------------------------------------------------------------------------------------
# Hand-maintained: IAM v5 / STS / Organizations / Access Analyzer / extensions
# ------------------------------------------------------------------------------------------------
CONFIRMED = {
    # Read on Huawei's API reference pages ("Authorization Information" tables).
    "iam:policies:createV5", "iam:policies:createVersionV5", "iam:users:createUserV5",
    "iam:users:attachPolicyV5", "iam:agencies:createV5", "iam:agencies:createServiceLinkedAgencyV5",
    # sts:agencies:assume, sts::tagSession and sts::setSourceIdentity: names confirmed, access
    # levels not read, so they stay inferred.
    "organizations:policies:create", "organizations:organizations:create",
}


def act(name, level, desc, resources=(), keys=(), deps=(), source="huawei-api"):
    return {
        "name": name,
        "description": desc,
        "access_level": level,
        "resources": [
            {"resource_type": t, "required": True, "condition_keys": list(k)} for t, k in resources
        ],
        "condition_keys": list(keys),
        "aliases": [],
        "dependent_actions": list(deps),
        "inferred": source == "huawei-api" and name not in CONFIRMED,
        "source": source,
    }


def route(method, path, actions, params=None, source="huawei-api", note=None, unauthenticated=False):
    r = {"method": method, "path": path, "actions": actions, "dependent_actions": [], "resource_params": params or {}, "source": source}
    if note:
        r["note"] = note
    if unauthenticated:
        r["unauthenticated"] = True
    return r


PM, W, R, LS, TG = "Permission_management", "Write", "Read", "List", "Tagging"
RT = "g:ResourceTag/<tag-key>"
iam_actions = [
    act("iam:policies:createV5", PM, "Grants permission to create a custom identity policy.", [("policy", [])]),
    act("iam:policies:listV5", LS, "Grants permission to list identity policies."),
    act("iam:policies:getV5", R, "Grants permission to get an identity policy.", [("policy", [])]),
    act("iam:policies:updateV5", PM, "Grants permission to update the description of an identity policy.", [("policy", [])]),
    act("iam:policies:deleteV5", PM, "Grants permission to delete a custom identity policy.", [("policy", [])]),
    act("iam:policies:createVersionV5", PM, "Grants permission to create a version of an identity policy.", [("policy", [])]),
    act("iam:policies:listVersionsV5", LS, "Grants permission to list the versions of an identity policy.", [("policy", [])]),
    act("iam:policies:getVersionV5", R, "Grants permission to get a version of an identity policy.", [("policy", [])]),
    act("iam:policies:deleteVersionV5", PM, "Grants permission to delete a version of an identity policy.", [("policy", [])]),
    act("iam:policies:setDefaultVersionV5", PM, "Grants permission to set the default version of an identity policy.", [("policy", [])]),
    act("iam:policies:listEntitiesV5", LS, "Grants permission to list the entities an identity policy is attached to.", [("policy", [])]),
    act("iam:users:attachPolicyV5", PM, "Grants permission to attach an identity policy to an IAM user.", [("user", [RT])], ["iam:PolicyURN"]),
    act("iam:users:detachPolicyV5", PM, "Grants permission to detach an identity policy from an IAM user.", [("user", [RT])], ["iam:PolicyURN"]),
    act("iam:groups:attachPolicyV5", PM, "Grants permission to attach an identity policy to a user group.", [("group", [])], ["iam:PolicyURN"]),
    act("iam:groups:detachPolicyV5", PM, "Grants permission to detach an identity policy from a user group.", [("group", [])], ["iam:PolicyURN"]),
    act("iam:agencies:attachPolicyV5", PM, "Grants permission to attach an identity policy to an agency or trust agency.", [("agency", [RT])], ["iam:PolicyURN"]),
    act("iam:agencies:detachPolicyV5", PM, "Grants permission to detach an identity policy from an agency or trust agency.", [("agency", [RT])], ["iam:PolicyURN"]),
    act("iam:users:listAttachedPoliciesV5", LS, "Grants permission to list the identity policies attached to an IAM user.", [("user", [RT])]),
    act("iam:groups:listAttachedPoliciesV5", LS, "Grants permission to list the identity policies attached to a user group.", [("group", [])]),
    act("iam:agencies:listAttachedPoliciesV5", LS, "Grants permission to list the identity policies attached to an agency.", [("agency", [RT])]),
    act("iam:users:createUserV5", W, "Grants permission to create an IAM user.", [("user", [])]),
    act("iam:users:listUsersV5", LS, "Grants permission to list IAM users."),
    act("iam:users:getUserV5", R, "Grants permission to get an IAM user.", [("user", [RT])]),
    act("iam:users:updateUserV5", W, "Grants permission to update an IAM user.", [("user", [RT])]),
    act("iam:users:deleteUserV5", W, "Grants permission to delete an IAM user.", [("user", [RT])]),
    act("iam:users:createAccessKeyV5", W, "Grants permission to create an access key for an IAM user.", [("user", [RT])]),
    act("iam:users:listAccessKeysV5", LS, "Grants permission to list the access keys of an IAM user.", [("user", [RT])]),
    act("iam:users:updateAccessKeyV5", W, "Grants permission to enable or disable an access key.", [("user", [RT])]),
    act("iam:users:deleteAccessKeyV5", W, "Grants permission to delete an access key.", [("user", [RT])]),
    act("iam:users:getAccessKeyLastUsedV5", R, "Grants permission to get when an access key was last used.", [("user", [RT])]),
    act("iam:users:tagV5", TG, "Grants permission to tag an IAM user.", [("user", [RT])], ["g:RequestTag/<tag-key>", "g:TagKeys"]),
    act("iam:users:untagV5", TG, "Grants permission to untag an IAM user.", [("user", [RT])], ["g:TagKeys"]),
    act("iam:users:listTagsV5", LS, "Grants permission to list the tags of an IAM user.", [("user", [RT])]),
    act("iam:groups:createGroupV5", W, "Grants permission to create a user group.", [("group", [])]),
    act("iam:groups:listGroupsV5", LS, "Grants permission to list user groups."),
    act("iam:groups:getGroupV5", R, "Grants permission to get a user group.", [("group", [])]),
    act("iam:groups:updateGroupV5", W, "Grants permission to update a user group.", [("group", [])]),
    act("iam:groups:deleteGroupV5", W, "Grants permission to delete a user group.", [("group", [])]),
    act("iam:groups:addUserV5", W, "Grants permission to add an IAM user to a user group.", [("group", [])]),
    act("iam:groups:removeUserV5", W, "Grants permission to remove an IAM user from a user group.", [("group", [])]),
    act("iam:agencies:createV5", W, "Grants permission to create a trust agency.", [("agency", [])]),
    act("iam:agencies:listV5", LS, "Grants permission to list agencies and trust agencies."),
    act("iam:agencies:getV5", R, "Grants permission to get an agency or trust agency.", [("agency", [RT])]),
    act("iam:agencies:updateV5", W, "Grants permission to update an agency or trust agency.", [("agency", [RT])]),
    act("iam:agencies:deleteV5", W, "Grants permission to delete an agency or trust agency.", [("agency", [RT])]),
    act("iam:agencies:updateTrustPolicyV5", PM, "Grants permission to update the trust policy of a trust agency.", [("agency", [RT])]),
    act("iam:agencies:createServiceLinkedAgencyV5", W, "Grants permission to create a service-linked agency.", [("agency", [])], ["iam:ServicePrincipal"]),
    act("iam:agencies:deleteServiceLinkedAgencyV5", W, "Grants permission to delete a service-linked agency.", [("agency", [])]),
    act("iam:agencies:getServiceLinkedAgencyDeletionStatusV5", R, "Grants permission to get the status of a service-linked agency deletion task.", [("agency", [])]),
    act("iam:agencies:listServicePrincipalsV5", LS, "Grants permission to list service principals."),
    act("iam:agencies:tagV5", TG, "Grants permission to tag a trust agency.", [("agency", [RT])], ["g:RequestTag/<tag-key>", "g:TagKeys"]),
    act("iam:agencies:untagV5", TG, "Grants permission to untag a trust agency.", [("agency", [RT])], ["g:TagKeys"]),
    act("iam:agencies:listTagsV5", LS, "Grants permission to list the tags of a trust agency.", [("agency", [RT])]),
    # modelarts-iam extensions (not Huawei APIs).
    act("iam:decisions:authorize", R, "Grants permission to ask the modelarts-iam server for an authorization decision.", source="extension"),
    act("iam:decisions:simulate", R, "Grants permission to simulate policies against requests on the modelarts-iam server.", source="extension"),
    act("iam:decisionLogs:list", LS, "Grants permission to list the decision log of the modelarts-iam server.", source="extension"),
    act("iam:authorizations:create", PM, "Grants permission to configure the agency or credential ModelArts uses for an IAM user (ModelArts POST /v2/{project_id}/authorizations).", source="extension"),
    act("iam:authorizations:list", LS, "Grants permission to list ModelArts authorization (agency) configurations.", source="extension"),
    act("iam:authorizations:delete", PM, "Grants permission to delete ModelArts authorization (agency) configurations.", source="extension"),
]
iam_types = [
    {"name": "user", "urn_template": "iam::<account-id>:user:<user-name>", "source": "huawei-api"},
    {"name": "group", "urn_template": "iam::<account-id>:group:<group-name>", "source": "huawei-api"},
    {"name": "agency", "urn_template": "iam::<account-id>:agency:<agency-name>", "source": "huawei-api"},
    {"name": "policy", "urn_template": "iam::<account-id>:policy:<policy-name>", "source": "huawei-api"},
]
iam_keys = [
    {"name": "iam:PolicyURN", "value_type": "String", "multi_valued": False, "inferred": True, "unverified": False,
     "description": "Filters access by the URN of the identity policy being attached or detached.", "source": "huawei-api"},
    {"name": "iam:ServicePrincipal", "value_type": "String", "multi_valued": False, "inferred": True, "unverified": False,
     "description": "Filters access by the service principal of the service-linked agency being created.", "source": "huawei-api"},
]
P, U, G, A = {"policy": "policy_id"}, {"user": "user_id"}, {"group": "group_id"}, {"agency": "agency_id"}
iam_routes = [
    route("POST", "/v5/policies", ["iam:policies:createV5"]),
    route("GET", "/v5/policies", ["iam:policies:listV5"]),
    route("GET", "/v5/policies/{policy_id}", ["iam:policies:getV5"], P),
    route("PUT", "/v5/policies/{policy_id}", ["iam:policies:updateV5"], P),
    route("DELETE", "/v5/policies/{policy_id}", ["iam:policies:deleteV5"], P),
    route("POST", "/v5/policies/{policy_id}/versions", ["iam:policies:createVersionV5"], P),
    route("GET", "/v5/policies/{policy_id}/versions", ["iam:policies:listVersionsV5"], P),
    route("GET", "/v5/policies/{policy_id}/versions/{version_id}", ["iam:policies:getVersionV5"], P),
    route("DELETE", "/v5/policies/{policy_id}/versions/{version_id}", ["iam:policies:deleteVersionV5"], P),
    route("POST", "/v5/policies/{policy_id}/versions/{version_id}/set-default", ["iam:policies:setDefaultVersionV5"], P),
    route("POST", "/v5/policies/{policy_id}/attach-user", ["iam:users:attachPolicyV5"], P),
    route("POST", "/v5/policies/{policy_id}/detach-user", ["iam:users:detachPolicyV5"], P),
    route("POST", "/v5/policies/{policy_id}/attach-group", ["iam:groups:attachPolicyV5"], P),
    route("POST", "/v5/policies/{policy_id}/detach-group", ["iam:groups:detachPolicyV5"], P),
    route("POST", "/v5/policies/{policy_id}/attach-agency", ["iam:agencies:attachPolicyV5"], P),
    route("POST", "/v5/policies/{policy_id}/detach-agency", ["iam:agencies:detachPolicyV5"], P),
    route("GET", "/v5/policies/{policy_id}/attached-entities", ["iam:policies:listEntitiesV5"], P),
    route("GET", "/v5/users/{user_id}/attached-policies", ["iam:users:listAttachedPoliciesV5"], U),
    route("GET", "/v5/groups/{group_id}/attached-policies", ["iam:groups:listAttachedPoliciesV5"], G),
    route("GET", "/v5/agencies/{agency_id}/attached-policies", ["iam:agencies:listAttachedPoliciesV5"], A),
    route("POST", "/v5/users", ["iam:users:createUserV5"]),
    route("GET", "/v5/users", ["iam:users:listUsersV5"]),
    route("GET", "/v5/users/{user_id}", ["iam:users:getUserV5"], U),
    route("PUT", "/v5/users/{user_id}", ["iam:users:updateUserV5"], U),
    route("DELETE", "/v5/users/{user_id}", ["iam:users:deleteUserV5"], U),
    route("POST", "/v5/users/{user_id}/access-keys", ["iam:users:createAccessKeyV5"], U),
    route("GET", "/v5/users/{user_id}/access-keys", ["iam:users:listAccessKeysV5"], U),
    route("PUT", "/v5/users/{user_id}/access-keys/{access_key_id}", ["iam:users:updateAccessKeyV5"], U),
    route("DELETE", "/v5/users/{user_id}/access-keys/{access_key_id}", ["iam:users:deleteAccessKeyV5"], U),
    route("GET", "/v5/users/{user_id}/access-keys/{access_key_id}/last-used", ["iam:users:getAccessKeyLastUsedV5"], U),
    route("POST", "/v5/users/{user_id}/tags/create", ["iam:users:tagV5"], U),
    route("DELETE", "/v5/users/{user_id}/tags/delete", ["iam:users:untagV5"], U),
    route("GET", "/v5/users/{user_id}/tags", ["iam:users:listTagsV5"], U),
    route("POST", "/v5/groups", ["iam:groups:createGroupV5"]),
    route("GET", "/v5/groups", ["iam:groups:listGroupsV5"]),
    route("GET", "/v5/groups/{group_id}", ["iam:groups:getGroupV5"], G),
    route("PUT", "/v5/groups/{group_id}", ["iam:groups:updateGroupV5"], G),
    route("DELETE", "/v5/groups/{group_id}", ["iam:groups:deleteGroupV5"], G),
    route("POST", "/v5/groups/{group_id}/add-user", ["iam:groups:addUserV5"], G),
    route("POST", "/v5/groups/{group_id}/remove-user", ["iam:groups:removeUserV5"], G),
    route("POST", "/v5/agencies", ["iam:agencies:createV5"]),
    route("GET", "/v5/agencies", ["iam:agencies:listV5"]),
    route("GET", "/v5/agencies/{agency_id}", ["iam:agencies:getV5"], A),
    route("PUT", "/v5/agencies/{agency_id}", ["iam:agencies:updateV5"], A),
    route("DELETE", "/v5/agencies/{agency_id}", ["iam:agencies:deleteV5"], A),
    route("PUT", "/v5/agencies/{agency_id}/trust-policy", ["iam:agencies:updateTrustPolicyV5"], A),
    route("POST", "/v5/agencies/{agency_id}/tags/create", ["iam:agencies:tagV5"], A),
    route("DELETE", "/v5/agencies/{agency_id}/tags/delete", ["iam:agencies:untagV5"], A),
    route("GET", "/v5/agencies/{agency_id}/tags", ["iam:agencies:listTagsV5"], A),
    route("PUT", "/v5/service-linked-agencies", ["iam:agencies:createServiceLinkedAgencyV5"]),
    route("DELETE", "/v5/service-linked-agencies/{agency_id}", ["iam:agencies:deleteServiceLinkedAgencyV5"], A),
    route("GET", "/v5/service-linked-agencies/deletion-task/{deletion_task_id}", ["iam:agencies:getServiceLinkedAgencyDeletionStatusV5"]),
    route("GET", "/v5/service-principals", ["iam:agencies:listServicePrincipalsV5"]),
    route("POST", "/v1/authorize", ["iam:decisions:authorize"], source="extension", note="modelarts-iam decision API"),
    route("POST", "/v1/simulate", ["iam:decisions:simulate"], source="extension", note="modelarts-iam decision API"),
    route("GET", "/v1/decision-logs", ["iam:decisionLogs:list"], source="extension", note="modelarts-iam decision API"),
]

sts_actions = [
    act("sts:agencies:assume", W, "Grants permission to assume an agency or trust agency and obtain temporary security credentials.", [("iam:agency", [])]),
    act("sts::tagSession", TG, "Grants permission to pass session tags when assuming an agency.", (), ["g:RequestTag/<tag-key>", "g:TagKeys"]),
    act("sts::setSourceIdentity", W, "Grants permission to set the source identity of an assumed-agency session."),
    act("sts::decodeAuthorizationMessage", R, "Grants permission to decode an encoded authorization failure message."),
]
sts_routes = [
    route("POST", "/v5/agencies/assume", ["sts:agencies:assume"], note="agency URN comes from the request body"),
    route("POST", "/v5/agencies/assume-with-oidc", [], note="not signed: the OIDC token and the trust policy authorize the call", unauthenticated=True),
    route("POST", "/v5/agencies/assume-with-saml", [], note="not signed: the SAML assertion and the trust policy authorize the call", unauthenticated=True),
    route("GET", "/v5/caller-identity", [], note="signed; no permission is required"),
    route("POST", "/v5/decode-authorization-message", ["sts::decodeAuthorizationMessage"]),
]

ORG_P = {"policy": "policy_id"}
org_actions = [
    act("organizations:organizations:create", W, "Grants permission to create an organization.", deps=["iam:agencies:createServiceLinkedAgencyV5"]),
    act("organizations:organizations:get", R, "Grants permission to get the organization."),
    act("organizations:policies:enable", W, "Grants permission to enable a policy type in a root.", [("root", [])]),
    act("organizations:policies:disable", W, "Grants permission to disable a policy type in a root.", [("root", [])]),
    act("organizations:policies:create", W, "Grants permission to create a policy.", (), ["g:RequestTag/<tag-key>", "g:TagKeys"], ["organizations:resources:tag"]),
    act("organizations:policies:list", LS, "Grants permission to list policies."),
    act("organizations:policies:get", R, "Grants permission to get a policy.", [("policy", [RT])]),
    act("organizations:policies:update", W, "Grants permission to update a policy.", [("policy", [RT])]),
    act("organizations:policies:delete", W, "Grants permission to delete a policy.", [("policy", [RT])]),
    act("organizations:policies:attach", W, "Grants permission to attach a policy to a root, OU or account.", [("policy", [RT])]),
    act("organizations:policies:detach", W, "Grants permission to detach a policy from a root, OU or account.", [("policy", [RT])]),
    act("organizations:policies:listEntities", LS, "Grants permission to list the entities a policy is attached to.", [("policy", [RT])]),
    act("organizations:effectivePolicies:list", LS, "Grants permission to get the effective policy of an account."),
    act("organizations:roots:list", LS, "Grants permission to list roots."),
    act("organizations:ous:create", W, "Grants permission to create an organizational unit.", (), ["g:RequestTag/<tag-key>", "g:TagKeys"]),
    act("organizations:ous:list", LS, "Grants permission to list organizational units."),
    act("organizations:ous:get", R, "Grants permission to get an organizational unit.", [("ou", [RT])]),
    act("organizations:ous:update", W, "Grants permission to rename an organizational unit.", [("ou", [RT])]),
    act("organizations:ous:delete", W, "Grants permission to delete an organizational unit.", [("ou", [RT])]),
    act("organizations:accounts:list", LS, "Grants permission to list accounts."),
    act("organizations:accounts:move", W, "Grants permission to move an account between parents.", [("account", [RT])]),
    act("organizations:entities:list", LS, "Grants permission to list the parents or children of an entity."),
    act("organizations:resources:tag", TG, "Grants permission to tag an Organizations resource.", (), ["g:RequestTag/<tag-key>", "g:TagKeys"]),
]
org_types = [
    {"name": "policy", "urn_template": "organizations::<account-id>:policy:<policy-id>", "source": "huawei-api"},
    {"name": "ou", "urn_template": "organizations::<account-id>:ou:<ou-id>", "source": "huawei-api"},
    {"name": "account", "urn_template": "organizations::<account-id>:account:<member-account-id>", "source": "huawei-api"},
    {"name": "root", "urn_template": "organizations::<account-id>:root:<root-id>", "source": "huawei-api"},
]
org_routes = [
    route("POST", "/v1/organizations/policies/enable", ["organizations:policies:enable"]),
    route("POST", "/v1/organizations/policies/disable", ["organizations:policies:disable"]),
    route("POST", "/v1/organizations/policies", ["organizations:policies:create"]),
    route("GET", "/v1/organizations/policies", ["organizations:policies:list"]),
    route("GET", "/v1/organizations/policies/{policy_id}", ["organizations:policies:get"], ORG_P),
    route("PATCH", "/v1/organizations/policies/{policy_id}", ["organizations:policies:update"], ORG_P),
    route("DELETE", "/v1/organizations/policies/{policy_id}", ["organizations:policies:delete"], ORG_P),
    route("POST", "/v1/organizations/policies/{policy_id}/attach", ["organizations:policies:attach"], ORG_P),
    route("POST", "/v1/organizations/policies/{policy_id}/detach", ["organizations:policies:detach"], ORG_P),
    route("GET", "/v1/organizations/policies/{policy_id}/attached-entities", ["organizations:policies:listEntities"], ORG_P),
    route("GET", "/v1/organizations/roots", ["organizations:roots:list"]),
    route("POST", "/v1/organizations/organizational-units", ["organizations:ous:create"]),
    route("GET", "/v1/organizations/organizational-units", ["organizations:ous:list"]),
    route("GET", "/v1/organizations/organizational-units/{organizational_unit_id}", ["organizations:ous:get"], {"ou": "organizational_unit_id"}),
    route("PATCH", "/v1/organizations/organizational-units/{organizational_unit_id}", ["organizations:ous:update"], {"ou": "organizational_unit_id"}),
    route("DELETE", "/v1/organizations/organizational-units/{organizational_unit_id}", ["organizations:ous:delete"], {"ou": "organizational_unit_id"}),
    route("GET", "/v1/organizations/accounts", ["organizations:accounts:list"]),
    route("POST", "/v1/organizations/accounts/{account_id}/move", ["organizations:accounts:move"], {"account": "account_id"}),
    route("GET", "/v1/organizations/entities", ["organizations:entities:list"]),
    route("GET", "/v1/organizations/entities/effective-policies", ["organizations:effectivePolicies:list"]),
    route("POST", "/v1/organizations", ["organizations:organizations:create"]),
    route("GET", "/v1/organizations", ["organizations:organizations:get"]),
]

aa_actions = [
    act("access-analyzer:policies:validate", R, "Grants permission to validate a policy and return findings."),
    act("access-analyzer:policies:checkNoNewAccess", R, "Grants permission to check whether a new policy grants access the existing one does not."),
]
aa_routes = [
    route("POST", "/v5/policies/validate", ["access-analyzer:policies:validate"]),
    route("POST", "/v5/policies/check-no-new-access", ["access-analyzer:policies:checkNoNewAccess"]),
]

modelarts_extra_routes = [
    route("POST", "/v2/{project_id}/agency", ["iam:agencies:createAgency"], note="ModelArts agency API (Huawei's ModelArts API reference); not in Table 2 of ModelArts actions, resources and conditions; creates an IAM agency for the caller"),
    route("POST", "/v2/{project_id}/authorizations", ["iam:authorizations:create"], note="ModelArts authorization API (Huawei's ModelArts API reference); not in Table 2 of ModelArts actions, resources and conditions"),
    route("GET", "/v2/{project_id}/authorizations", ["iam:authorizations:list"], note="ModelArts authorization API (Huawei's ModelArts API reference); not in Table 2 of ModelArts actions, resources and conditions"),
    route("DELETE", "/v2/{project_id}/authorizations", ["iam:authorizations:delete"], note="ModelArts authorization API (Huawei's ModelArts API reference); not in Table 2 of ModelArts actions, resources and conditions"),
]

# ------------------------------------------------------------------------------------------------
# Global condition keys (huawei-iam.md section 3; seed 004 names some of them)
# ------------------------------------------------------------------------------------------------
SEED_G = {"g:ResourceTag/<tag-key>", "g:EnterpriseProjectId", "g:SourceVpce", "g:TagKeys"}


def gk(name, vt, multi, inferred, unverified, desc):
    d = {"name": name, "value_type": vt, "multi_valued": multi, "inferred": inferred, "unverified": unverified, "description": desc,
         "source": "seed" if name in SEED_G else "huawei-docs"}
    if name in SEED_G:
        d["published_in"] = "004 Table 1" if name in ("g:ResourceTag/<tag-key>", "g:EnterpriseProjectId") else "004 Conditions"
    return d


global_keys = [
    gk("g:PrincipalUrn", "String", False, False, False, "URN of the caller (user, assumed-agency session or external user)."),
    gk("g:PrincipalAccount", "String", False, False, False, "Account ID of the caller; identical to g:DomainId."),
    gk("g:PrincipalOrgPath", "String", False, False, False, "Organization path of the caller's account: <organization-id>/<root-id>/(<ou-id>/)*<account-id>."),
    gk("g:PrincipalId", "String", False, True, False, "ID of the caller."),
    gk("g:PrincipalOrgId", "String", False, True, False, "ID of the organization the caller's account belongs to."),
    gk("g:PrincipalOrgManagementAccountId", "String", False, True, False, "Management account ID of the caller's organization."),
    gk("g:PrincipalType", "String", False, True, True, "Type of the caller (User, AssumedAgency, ...)."),
    gk("g:PrincipalIsRootUser", "Bool", False, True, True, "Whether the caller is the account root user."),
    gk("g:PrincipalTag/<tag-key>", "String", False, True, True, "Tag attached to the calling principal."),
    gk("g:DomainId", "String", False, False, False, "Account (domain) ID of the caller."),
    gk("g:DomainName", "String", False, False, False, "Account (domain) name of the caller."),
    gk("g:UserId", "String", False, False, False, "IAM user ID of the caller."),
    gk("g:UserName", "String", False, False, False, "IAM user name of the caller."),
    gk("g:ProjectName", "String", False, False, False, "Project the request is scoped to."),
    gk("g:ServiceName", "String", False, False, False, "Service the request is sent to."),
    gk("g:CurrentTime", "Date", False, False, False, "Time the request is received (ISO 8601)."),
    gk("g:MFAPresent", "Bool", False, False, False, "Whether the credentials were obtained with MFA."),
    gk("g:MFAAge", "Number", False, False, False, "Seconds since MFA authentication; used with g:MFAPresent."),
    gk("g:SourceIp", "Ip", False, True, False, "IP address of the caller."),
    gk("g:SourceVpc", "String", False, True, False, "VPC the request comes from."),
    gk("g:SourceVpce", "String", False, True, False, "VPC endpoint the request comes from (single-valued per ModelArts actions, resources and conditions)."),
    gk("g:VpcSourceIp", "Ip", False, True, True, "Caller IP address inside a VPC."),
    gk("g:TagKeys", "String", True, True, True, "Tag keys in the request (multivalued per ModelArts actions, resources and conditions)."),
    gk("g:RequestTag/<tag-key>", "String", False, True, False, "Tag value passed in the request for the given key."),
    gk("g:ResourceTag/<tag-key>", "String", False, True, True, "Tag value on the resource for the given key."),
    gk("g:EnterpriseProjectId", "String", False, True, True, "Enterprise project of the resource."),
    gk("g:SecureTransport", "Bool", False, True, True, "Whether the request was sent over TLS."),
    gk("g:UserAgent", "String", False, True, True, "User agent of the caller."),
    gk("g:Referer", "String", False, True, True, "HTTP referer of the request."),
    gk("g:RequestedRegion", "String", False, True, True, "Region the request is sent to."),
    gk("g:CalledVia", "String", True, True, True, "Services that made the request on the caller's behalf, in order."),
    gk("g:CalledViaFirst", "String", False, True, True, "First service in g:CalledVia."),
    gk("g:CalledViaLast", "String", False, True, True, "Last service in g:CalledVia."),
    gk("g:ViaService", "Bool", False, True, True, "Whether a cloud service made the request on the caller's behalf."),
    gk("g:TokenIssueTime", "Date", False, True, True, "When the temporary credentials were issued."),
    gk("g:SourceIdentity", "String", False, True, True, "Source identity set when the agency session was created."),
    gk("g:ResourceOrgId", "String", False, True, True, "Organization ID of the account that owns the resource."),
]

# ------------------------------------------------------------------------------------------------
# System-defined policies named by seed 000 (documents are inferred: the seeds give no text).
# ------------------------------------------------------------------------------------------------
system_policies = [
    {
        "name": "SWR Admin",
        "service": "swr",
        "description": "The maximum scope of SWR permissions.",
        "document": {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["swr:*:*"]}]},
        "inferred": True,
        "published_in": "000 Table 3",
        "notes": "Seed 000 names the policy and says it 'contains the maximum scope of SWR permissions'; the document is inferred from that sentence.",
    },
    {
        "name": "SFS Turbo FullAccess",
        "service": "sfsturbo",
        "description": "Full permissions for SFS Turbo.",
        "document": {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["sfsturbo:*:*"]}]},
        "inferred": True,
        "published_in": "000 Table 3",
        "notes": "Seed 000 names the policy (mount an SFS Turbo file system); the document is inferred from the FullAccess naming convention.",
    },
]

# ------------------------------------------------------------------------------------------------
# Write
# ------------------------------------------------------------------------------------------------
DISPLAY = {
    "modelarts": "ModelArts", "obs": "Object Storage Service (OBS)", "swr": "SoftWare Repository for Container (SWR)",
    "iam": "Identity and Access Management (IAM)", "bss": "Business Support System (billing)", "ecs": "Elastic Cloud Server (ECS)",
    "sfsturbo": "SFS Turbo", "smn": "Simple Message Notification (SMN)", "aom": "Application Operations Management (AOM)",
    "lts": "Log Tank Service (LTS)", "ces": "Cloud Eye (CES)", "ief": "Intelligent EdgeFabric (IEF)", "vpc": "Virtual Private Cloud (VPC)",
    "vpcep": "VPC Endpoint (VPCEP)", "dli": "Data Lake Insight (DLI)", "dws": "GaussDB(DWS)", "mrs": "MapReduce Service (MRS)",
    "sts": "Security Token Service (STS)", "organizations": "Organizations", "access-analyzer": "IAM Access Analyzer",
}
GLOBAL = {"iam", "sts", "organizations", "obs", "bss"}


def write(name, obj):
    os.makedirs(os.path.dirname(os.path.join(OUT, name)) or OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def service(name, actions, types=(), keys=(), routes=(), source="seed"):
    write(
        f"services/{name}.json",
        {
            "name": name,
            "display_name": DISPLAY[name],
            "global": name in GLOBAL,
            "source": source,
            "resource_types": list(types),
            "condition_keys": list(keys),
            "actions": actions,
            "routes": list(routes),
        },
    )


service("modelarts", modelarts_actions + service_actions.pop("modelarts", []), modelarts_types, modelarts_keys,
        modelarts_routes + modelarts_extra_routes)
service("iam", service_actions.pop("iam", []) + iam_actions, iam_types, iam_keys, iam_routes)
service("sts", sts_actions, (), (), sts_routes, "huawei-api")
service("organizations", org_actions, org_types, (), org_routes, "huawei-api")
service("access-analyzer", aa_actions, (), (), aa_routes, "huawei-api")
for svc, acts in sorted(service_actions.items()):
    service(svc, acts)
write("global-condition-keys.json", global_keys)
write("dependencies.json", dep_rows)
write("agency-scopes.json", agency_rows)
write("system-policies.json", system_policies)
print("modelarts actions", len(modelarts_actions), "routes", len(modelarts_routes), "types", len(modelarts_types),
      "keys", len(modelarts_keys), "dep rows", len(dep_rows), "agency rows", len(agency_rows))
print("referenced services", sorted(service_actions))
