"""Hypothesis strategies: small CamelCase catalogs, patterns with * and ? anywhere, unused sets."""

from __future__ import annotations

from hypothesis import strategies as st

from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.findings import UnusedSet

SERVICES = ["s3", "ec2", "rds-db", "lam"]
TOKENS = ["Get", "Put", "Object", "Objects", "Bucket", "Acl", "DB", "CORS", "List", "V2", "X",
          "Tag", "connect"]


@st.composite
def catalogs(draw) -> Catalog:
    services = draw(st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3, unique=True))
    table = {}
    for svc in services:
        names = draw(st.lists(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=3)
                              .map("".join), min_size=1, max_size=10, unique_by=str.lower))
        table[svc] = tuple(names)
    return Catalog(name="generated", version="test", date=None, services=table)


def _mixed_case(draw, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(ch.swapcase() if flip else ch for ch, flip in zip(text, flips))


@st.composite
def patterns(draw, catalog: Catalog) -> str:
    """A pattern grown from a catalog action: chunks replaced by * or ?, case changed."""
    actions = [f"{s}:{n}" for s, names in catalog.services.items() for n in names]
    kind = draw(st.sampled_from(["edit", "edit", "edit", "star", "service", "random"]))
    if kind == "star":
        return "*"
    if kind == "service":
        return draw(st.sampled_from(sorted(catalog.services))) + ":*"
    if kind == "random":
        return draw(st.text(alphabet="s3:GetObjcAl*?", min_size=1, max_size=8))
    text = draw(st.sampled_from(actions))
    for _ in range(draw(st.integers(0, 3))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        j = draw(st.integers(i, min(len(text), i + 6)))
        text = text[:i] + draw(st.sampled_from(["*", "?", "", "*"])) + text[j:]
    text = _mixed_case(draw, text) if draw(st.booleans()) else text
    return text or "*"


@st.composite
def unused_sets(draw, catalog: Catalog) -> UnusedSet:
    actions = sorted(catalog.canonical(a) for a in catalog.with_prefix(""))
    chosen = draw(st.lists(st.sampled_from(actions), max_size=len(actions), unique=True))
    extra = draw(st.lists(st.sampled_from(["s3:GetGhost", "ec2:Retired", "lam:GetObjectsX"]),
                          max_size=2, unique=True))
    known = {a.lower() for a in chosen}
    extra = [e for e in extra if e.lower() not in known]
    services = draw(st.lists(st.sampled_from(sorted(catalog.services)), max_size=1, unique=True))
    chosen = [a for a in chosen + extra if a.split(":")[0] not in services]
    return UnusedSet(actions=tuple(chosen), services=tuple(services),
                     unknown=tuple(e for e in extra if e in chosen))
