"""The cases mutants are hunted on: the worked examples, then seeded random policies."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.findings import UnusedSet


@dataclass(frozen=True)
class Case:
    name: str
    catalog: Catalog
    policy: bytes
    unused: UnusedSet


def example_cases(examples: Path) -> list[Case]:
    """The three worked examples under EXAMPLES (the repository's examples/ folder)."""
    out = []
    for folder, catalog_file in (("blog", "catalog-2024-10-24.json"),
                                 ("deployer", "catalog-2026-10-27.json"),
                                 ("analyst", "catalog-2026-10-27.json")):
        base = examples / folder
        cat = catalog_mod.load(str(base / catalog_file))
        unused, _ = findings.load(str(base / "unused.json"), cat)
        out.append(Case(f"examples/{folder}", cat, (base / "policy.json").read_bytes(), unused))
    return out


SERVICES = ("s3", "ec2", "rds-db", "lam")
VERBS = ("Get", "Put", "List", "Describe", "Delete", "connect")
NOUNS = ("Object", "Objects", "Bucket", "Acl", "DB", "Instances", "CORS", "Tag", "Policy", "V2",
         "X", "Versions")
GHOSTS = ("GetGhost", "PutRetired", "DescribeDBOld")  # unused names no catalog here knows


def _catalog(rng: random.Random, seed: int) -> Catalog:
    table = {}
    for svc in rng.sample(SERVICES, rng.randint(1, 3)):
        names: dict[str, str] = {}
        size = 1 if rng.random() < 0.2 else rng.randint(3, 14)
        while len(names) < size:
            verb = rng.choice(VERBS[:3]) if rng.random() < 0.6 else rng.choice(VERBS)
            name = verb + "".join(rng.choice(NOUNS) for _ in range(rng.randint(0, 3)))
            names.setdefault(name.lower(), name)
        table[svc] = tuple(names.values())
    return Catalog(name="mutants", version=f"seed-{seed}", date=None, services=table)


def _mixed_case(rng: random.Random, text: str) -> str:
    return "".join(ch.swapcase() if rng.random() < 0.3 else ch for ch in text)


KINDS = ("prefix", "prefix", "prefix", "midstring", "suffix", "service", "star", "question",
         "question", "literal", "ghost", "edit")
DENY_KINDS = ("prefix", "midstring", "literal", "literal", "question")  # never all of a service
NOT_ACTION_KINDS = ("prefix", "midstring", "literal", "question", "ghost")


def _pattern(rng: random.Random, cat: Catalog, kinds=KINDS) -> str:
    actions = [f"{s}:{n}" for s, names in cat.services.items() for n in names]
    action = rng.choice(actions)
    svc, name = action.split(":")
    kind = rng.choice(kinds)
    if kind == "prefix":  # s3:GetBucket*
        cut = rng.randint(0 if kinds is KINDS else 1, len(name) - 1)
        text = f"{svc}:{name[:cut]}*"
    elif kind == "midstring":  # s3:Get*Acl
        i = rng.randint(0, len(name))
        j = rng.randint(i, len(name))
        text = f"{svc}:{name[:i]}*{name[j:]}"
    elif kind == "suffix":
        text = f"{svc}:*{name[rng.randint(1, len(name)):]}"
    elif kind == "service":
        text = f"{svc}:*"
    elif kind == "star":
        text = "*"
    elif kind == "question":  # ? where two actions of one length differ, or a ? tail
        same = [a for a in actions if len(a) == len(action) and a != action
                and a.split(":")[0] == svc]
        if same and rng.random() < 0.6:
            other = rng.choice(same)
            text = "".join(c if c.lower() == d.lower() else "?" for c, d in zip(action, other))
        else:
            keep = len(svc) + 1 + rng.randint(0, len(name) - 1)
            text = action[:keep] + "?" * (len(action) - keep)
            if rng.random() < 0.3:
                text += "*"
    elif kind == "literal":
        text = action
    elif kind == "ghost":
        text = f"{svc}:{rng.choice(GHOSTS)}"
    else:
        text = action
        for _ in range(rng.randint(1, 3)):
            i = rng.randint(len(svc) + 1, len(text) - 1) if len(text) > len(svc) + 1 else 0
            j = rng.randint(i, min(len(text), i + 5))
            text = text[:i] + rng.choice("*?*") + text[j:]
    return _mixed_case(rng, text) if rng.random() < 0.3 else text


def _unused(rng: random.Random, cat: Catalog) -> UnusedSet:
    share = rng.uniform(0.15, 0.7)
    services = []
    if rng.random() < 0.3:  # a wholly unused service, often the smallest one
        by_size = sorted(cat.services, key=lambda svc: (len(cat.services[svc]), svc))
        services.append(by_size[0] if rng.random() < 0.5 else rng.choice(by_size))
    if rng.random() < 0.1:
        services.append("iam")  # a wholly unused service the catalog does not list
    actions = [f"{s}:{n}" for s, names in cat.services.items() for n in names
               if s not in services and rng.random() < share]
    ghosts = [f"{s}:{g}" for s in cat.services for g in GHOSTS
              if s not in services and rng.random() < 0.15]
    return UnusedSet(actions=tuple(actions + ghosts), services=tuple(sorted(set(services))),
                     unknown=tuple(ghosts))


RESOURCES = ("*", ["arn:aws:s3:::MyBucket", "arn:aws:s3:::MyBucket/*"],
             "arn:aws:lambda:eu-west-1:111122223333:function:App-*")
CONDITION = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}


def _statement(rng: random.Random, cat: Catalog, effect: str, key: str) -> dict:
    count = rng.randint(1, 4)
    kinds = DENY_KINDS if effect == "Deny" else NOT_ACTION_KINDS if key == "NotAction" else KINDS
    patterns = [_pattern(rng, cat, kinds) for _ in range(count)]
    if len(patterns) > 1 and rng.random() < 0.15:  # the same pattern twice, in another case
        patterns.append(patterns[0].swapcase())
    stmt: dict = {}
    if rng.random() < 0.4:
        stmt["Sid"] = f"S{rng.randint(1, 99)}"
    stmt["Effect"] = effect
    stmt[key] = patterns if (len(patterns) > 1 or rng.random() < 0.7) else patterns[0]
    stmt["Resource"] = rng.choice(RESOURCES)
    if rng.random() < 0.3:
        stmt["Condition"] = CONDITION
    return stmt


def _policy(rng: random.Random, cat: Catalog) -> bytes:
    statements = [_statement(rng, cat, "Allow", "Action") for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.4:
        statements.insert(rng.randint(0, len(statements)),
                          _statement(rng, cat, "Allow", "NotAction"))
    if rng.random() < 0.4:
        statements.append(_statement(rng, cat, "Deny", rng.choice(["Action", "Action",
                                                                    "NotAction"])))
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=1).encode()


def generated_cases(seed: int, count: int) -> list[Case]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        cat = _catalog(rng, seed)
        out.append(Case(f"seed {seed} case {n + 1}", cat, _policy(rng, cat), _unused(rng, cat)))
    return out


def cases(examples: Path, seed: int = 6, count: int = 300) -> list[Case]:
    return example_cases(examples) + generated_cases(seed, count)
