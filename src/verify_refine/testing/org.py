"""A synthetic organization, seeded, from the corpus of managed policies: accounts of roles with
attached and inline policies and get-finding-v2 findings, in the folder layout `batch` reads."""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..inputs import catalog as catalog_mod

AUTH = "authorization-details.json"  # the names `pull` writes in an account's folder
FINDINGS = "findings"
DATE = "2026-10-01T12:00:00+00:00"


@dataclass(frozen=True)
class Shape:
    """How big the organization is, and how its roles and findings are drawn."""

    accounts: int = 3
    roles: int = 100
    seed: int = 1
    max_bytes: int = 2500  # only corpus policies whose file is at most this big
    max_actions: int = 300  # nor any granting more catalog actions than this
    customer_share: float = 0.3  # of attachments: a customer managed copy, not AWS's own
    touched: float = 0.5  # of the services a role is granted: those it used
    unused: float = 0.4  # of the actions of a used service: those it did not use


TINY = Shape(accounts=3, roles=4, seed=7, max_bytes=600, max_actions=40)


@dataclass(frozen=True)
class Pick:
    """A corpus policy: its name, AWS's ARN for it, its document and what it grants."""

    name: str
    arn: str
    document: dict
    grants: tuple[str, ...]


def pool(corpus: Path, cat, shape: Shape) -> list[Pick]:
    """The corpus policies small enough for SHAPE that grant through Action lists alone (no
    NotAction), in name order."""
    if not corpus.is_dir():
        raise UsageError(f"the managed-policy corpus is absent: {corpus} (clone the project next "
                         "to its shared/ folder)")
    index = json.loads((corpus / "INDEX.json").read_text(encoding="utf-8")) \
        if (corpus / "INDEX.json").is_file() else {}
    picks = []
    for path in sorted(corpus.glob("*.json")):
        if path.name == "INDEX.json" or path.stat().st_size > shape.max_bytes:
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        grants = _grants(document, cat)
        if grants and len(grants) <= shape.max_actions:
            arn = index.get(path.stem, {}).get("arn") or f"arn:aws:iam::aws:policy/{path.stem}"
            picks.append(Pick(path.stem, arn, document, tuple(sorted(grants))))
    if not picks:
        raise UsageError(f"no policy of {corpus} fits the organization's limits")
    return picks


def _grants(document: dict, cat) -> set[str] | None:
    """The catalog actions a document's Allow statements grant; None when one uses NotAction."""
    statements = document.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    grants: set[str] = set()
    for stmt in statements:
        if not isinstance(stmt, dict) or "NotAction" in stmt:
            return None
        if stmt.get("Effect") != "Allow":
            continue
        actions = stmt.get("Action")
        for pattern in [actions] if isinstance(actions, str) else actions or []:
            grants.update(cat.matching(pattern))
    return grants


def account_id(k: int) -> str:
    """The 12-digit ID of the organization's K-th account (from 0)."""
    return f"{200000000001 + k:012d}"


def generate(corpus: Path, out: Path, shape: Shape = Shape(), cat=None) -> dict:
    """Write the organization into OUT (ORG/<account-id>/authorization-details.json and
    findings/<role>.json); returns counts of what was written."""
    cat = cat or catalog_mod.load(None)
    picks = pool(corpus, cat, shape)
    rng = random.Random(shape.seed)
    counts = {"accounts": shape.accounts, "principals": 0, "attachments": 0, "inline": 0,
              "findings": 0}
    for k in range(shape.accounts):
        _account(out / account_id(k), account_id(k), picks, rng, shape, counts)
    return counts


def _account(folder: Path, account: str, picks, rng, shape: Shape, counts: dict) -> None:
    """One account's authorization details and findings."""
    (folder / FINDINGS).mkdir(parents=True, exist_ok=True)
    roles, policies = [], {}
    for i in range(shape.roles):
        name = f"app-{i:04d}-{rng.choice(picks).name.lower()[:40]}"
        arn = f"arn:aws:iam::{account}:role/{name}"
        attached = rng.sample(picks, rng.randint(1, min(5, len(picks))))
        inline = rng.sample(picks, rng.randint(0, min(2, len(picks))))
        attachments = []
        for pick in attached:
            policy_arn = pick.arn if rng.random() >= shape.customer_share else \
                f"arn:aws:iam::{account}:policy/{pick.name}"
            entry = policies.setdefault(policy_arn, _policy_entry(pick, policy_arn))
            entry["AttachmentCount"] += 1
            attachments.append({"PolicyName": pick.name, "PolicyArn": policy_arn})
        roles.append({"Path": "/", "RoleName": name, "RoleId": f"AROA{account}{i:08d}",
                      "Arn": arn, "CreateDate": DATE, "Tags": [], "AttachedManagedPolicies":
                      attachments, "RolePolicyList": [
                          {"PolicyName": f"inline-{j}-{p.name}"[:128], "PolicyDocument":
                           p.document} for j, p in enumerate(inline)]})
        grants = sorted({a for p in (*attached, *inline) for a in p.grants})
        details = _unused_details(grants, rng, shape)
        if details:
            _write(folder / FINDINGS / f"{name}.json", _finding(arn, account, i, details))
            counts["findings"] += 1
        counts["principals"] += 1
        counts["attachments"] += len(attachments)
        counts["inline"] += len(inline)
    _write(folder / AUTH, {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles,
                           "Policies": list(policies.values())})


def _policy_entry(pick: Pick, arn: str) -> dict:
    return {"PolicyName": pick.name, "Arn": arn, "Path": "/", "DefaultVersionId": "v1",
            "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
            "PolicyVersionList": [{"Document": pick.document, "VersionId": "v1",
                                   "IsDefaultVersion": True, "CreateDate": DATE}]}


def _unused_details(grants: list[str], rng, shape: Shape) -> list[dict]:
    """get-finding-v2 unusedPermissionDetails: a whole service for each service granted that
    the role never touched, its unused actions for each it did."""
    by_service: dict[str, list[str]] = {}
    for action in grants:
        service, name = action.split(":", 1)
        by_service.setdefault(service, []).append(name)
    details = []
    for service, names in sorted(by_service.items()):
        if rng.random() >= shape.touched:
            details.append({"unusedPermissionDetails": {"serviceNamespace": service}})
            continue
        unused = [n for n in names if rng.random() < shape.unused]
        if unused:
            details.append({"unusedPermissionDetails": {
                "serviceNamespace": service, "lastAccessed": DATE,
                "actions": [{"action": n} for n in unused]}})
    return details


def _finding(arn: str, account: str, i: int, details: list[dict]) -> dict:
    return {"analyzedAt": DATE, "createdAt": DATE, "updatedAt": DATE,
            "id": f"{account}-{i:08d}", "resource": arn, "resourceType": "AWS::IAM::Role",
            "resourceOwnerAccount": account, "status": "ACTIVE",
            "findingType": "UnusedPermission", "findingDetails": details}


def _write(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=1) + "\n", encoding="utf-8")


def perturb(org: Path, fraction: float, seed: int) -> list[Path]:
    """Change the findings of FRACTION of the organization's roles (at least one): each loses
    its last unused entry (an action, else a whole service), as when a role starts using it.
    Returns the files changed."""
    files = sorted(org.glob(f"*/{FINDINGS}/*.json"))
    chosen = random.Random(seed).sample(files, min(len(files), math.ceil(fraction * len(files))))
    for path in chosen:
        value = json.loads(path.read_text(encoding="utf-8"))
        details = value["findingDetails"]
        last = details[-1]["unusedPermissionDetails"]
        if len(last.get("actions", [])) > 1:
            last["actions"].pop()
        elif len(details) > 1:
            details.pop()
        else:
            value["status"] = "RESOLVED"
        _write(path, value)
    return chosen


def main(argv: list[str] | None = None) -> int:
    """`python -m verify_refine.testing.org OUT`: write a synthetic organization."""
    ap = argparse.ArgumentParser(prog="python -m verify_refine.testing.org",
                                 description=__doc__)
    ap.add_argument("out", type=Path, help="a new folder for the organization")
    ap.add_argument("--corpus", type=Path, required=True,
                    help="the folder of AWS managed policies (shared/corpus/aws-managed-policies)")
    ap.add_argument("--accounts", type=int, default=Shape.accounts)
    ap.add_argument("--roles", type=int, default=Shape.roles, help="roles per account")
    ap.add_argument("--seed", type=int, default=Shape.seed)
    ap.add_argument("--tiny", action="store_true", help="3 accounts of 4 small roles")
    args = ap.parse_args(argv)
    shape = TINY if args.tiny else Shape(args.accounts, args.roles, args.seed)
    try:
        counts = generate(args.corpus, args.out, shape)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
