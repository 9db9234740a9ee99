"""Hypothesis strategies for assurance testing: catalogs, patterns, near misses, policies.

Builds on `strategies.py` (whose small catalogs and patterns the property tests use) and adds:

- `catalogs()`: CamelCase action names (acronyms such as `DB`/`CORS`, digits such as `V2`, a
  lower-case start now and then) under real service prefixes, some of them prefixes of each
  other (`s3`, `s3-object-lambda`; `rds`, `rds-db`), so that wildcards in the service part and
  the `svc:` boundary are exercised;
- `patterns(catalog)`: `*` and `?` anywhere (service part included), mixed case, `*` alone,
  `svc:*`, literal catalog actions, retired names, runs of wildcards;
- `matching_strings(pattern)`, `near_misses(text)`: a string in lang(pattern), and one edit away
  from a string (a character dropped or replaced, or a case change that must not matter);
- `policy_documents(catalog)`: policies of several statements mixing Allow and Deny, Action and
  NotAction, Resource/NotResource/none, conditions, Sids; every document parses;
- `unused_sets(catalog)`: listed unused actions (also names the catalog does not know) and
  whole unused services (also one the catalog does not have).
"""

from __future__ import annotations

from hypothesis import strategies as st

from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.findings import UnusedSet
from verify_refine.spec.glob import fold
from verify_refine.testing import strategies as base

SERVICES = ["s3", "s3-object-lambda", "ec2", "rds", "rds-db", "lambda", "iam", "sts", "logs",
            "kms", "execute-api", "dynamodb"]
TOKENS = ["Get", "Put", "List", "Describe", "Delete", "Create", "Invoke", "Object", "Objects",
          "Bucket", "Acl", "DB", "Instances", "CORS", "V2", "Tag", "Tagging", "Policy",
          "Function", "Access", "Point", "EC2", "Key", "X"]
LOWER_STARTS = ["connect", "list", "get"]  # a few real names start in lower case (rds-db:connect)
RETIRED = ["GetGhost", "Retired", "PutObjectLegacy", "connectOld"]
# Below the readers the engine folds Unicode one way (glob.fold; the kernel's copy). A quarter
# of the catalogs draw from these too: characters whose lower case is another script's (Kelvin
# sign), longer (İ), equal to casefold or not (ß, ẞ, ﬁ), title case (ǅ), no case at all (CJK),
# the last code points of the first and third planes (U+FFFF, U+2FFFF: the solver's limit),
# in service prefixes and in action names.
EXOTIC_SERVICES = ["sé3", "ıam", "\u212ams", "ǆb", "\U0002a6d6", "ßqs", "\uffff",
                   "s\U0002ffff"]
EXOTIC_TOKENS = ["Étape", "İmport", "Maß", "ẞig", "\u212aey", "Σigma", "ǅata", "ﬁle",
                 "\U0002a6d6X", "Ωm", "Ää", "Z\uffff", "\U0002ffff"]

RESOURCES = ["*", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", "arn:aws:s3:::Bucket?/*",
             "arn:aws:lambda:*:123456789012:function:f*", "arn:aws:iam::*:role/r?"]
CONDITIONS = [{"Bool": {"aws:SecureTransport": "true"}},
              {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}]
# Characters for the runs a wildcard stands for and for replacements in near misses: letters of
# both cases, the separators action names and ARNs hold, a digit, and non-ASCII letters whose
# case folding is interesting (Kelvin sign, dotted capital I, sharp s, final sigma).
FILL = "abcdegijlnoprstuvxyABCDEGOPST:-23/*?"
FILL_PLAIN = FILL.replace("*", "").replace("?", "")
EXOTIC = "éÉßİıKΣςσ"


@st.composite
def action_names(draw, tokens=tuple(TOKENS)) -> str:
    if draw(st.integers(0, 9)) == 0:
        first = draw(st.sampled_from(LOWER_STARTS))
        return first + "".join(draw(st.lists(st.sampled_from(tokens), max_size=2)))
    return "".join(draw(st.lists(st.sampled_from(tokens), min_size=1, max_size=3)))


@st.composite
def catalogs(draw, max_services: int = 3, max_names: int = 8) -> Catalog:
    """A small catalog: 1-3 real-looking services, each with 1-8 CamelCase action names; one
    in four also draws Unicode service prefixes and name tokens."""
    exotic = draw(st.integers(0, 3)) == 0
    pool = SERVICES + EXOTIC_SERVICES if exotic else SERVICES
    tokens = tuple(TOKENS + EXOTIC_TOKENS if exotic else TOKENS)
    services = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=max_services,
                             unique_by=fold))
    table = {}
    for svc in services:
        table[svc] = tuple(draw(st.lists(action_names(tokens), min_size=1, max_size=max_names,
                                         unique_by=fold)))
    return Catalog(name="generated", version="test", date=None, services=table)


def actions_of(catalog: Catalog) -> list[str]:
    return [f"{s}:{n}" for s, names in catalog.services.items() for n in names]


def is_action_text(text: str) -> bool:
    """The shape of an Action/NotAction entry: `svc:Name` (wildcards allowed) or wildcards
    alone. (The readers also hold it to AWS's alphabet; these cases go below the readers,
    parse_policy(alphabet=False), so that Unicode reaches the engine.)"""
    return bool(text) and (":" in text or text.strip("*?") == "")


def _mixed_case(draw, text: str) -> str:
    """Each character's case flipped or not (one draw: a bit mask, cheaper than a list)."""
    mask = draw(st.integers(0, 2 ** len(text) - 1)) if text else 0
    return "".join(ch.swapcase() if mask >> i & 1 else ch for i, ch in enumerate(text))


@st.composite
def patterns(draw, catalog: Catalog) -> str:
    """An Action entry: grown from a catalog action by replacing runs with `*`, `?` or nothing
    (in the service part too), or `*`, `svc:*`, a wildcard service part, a literal action, a
    retired name, or a random text over the catalog's own characters."""
    actions = actions_of(catalog)
    kind = draw(st.sampled_from(["edit"] * 5 + ["literal", "star", "service", "wild-service",
                                                "retired", "random", "base"]))
    if kind == "star":
        text = draw(st.sampled_from(["*", "*", "**", "*:*", "?*"]))
    elif kind == "service":
        text = draw(st.sampled_from(sorted(catalog.services))) + ":*"
    elif kind == "wild-service":
        svc = draw(st.sampled_from(sorted(catalog.services)))
        cut = draw(st.integers(0, len(svc) - 1))
        svc = svc[:cut] + draw(st.sampled_from(["*", "?"])) + svc[cut + 1:]
        name = draw(st.sampled_from(actions)).split(":", 1)[1]
        text = f"{svc}:{name[:draw(st.integers(0, len(name)))]}" + draw(
            st.sampled_from(["*", "", "?*"]))
    elif kind == "literal":
        text = draw(st.sampled_from(actions))
    elif kind == "retired":
        text = draw(st.sampled_from(sorted(catalog.services))) + ":" + draw(
            st.sampled_from(RETIRED))
    elif kind == "random":
        chars = sorted({ch for a in actions for ch in a}) + ["*", "?", "*"]
        text = draw(st.text(alphabet=chars, min_size=1, max_size=10))
    elif kind == "base":
        text = draw(base.patterns(catalog))
    else:
        text = draw(st.sampled_from(actions))
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(text)))
            j = draw(st.integers(i, min(len(text), i + 5)))
            text = text[:i] + draw(st.sampled_from(["*", "?", "", "*", "??", "*?"])) + text[j:]
    if draw(st.integers(0, 2)) == 0:
        text = _mixed_case(draw, text)
    if not is_action_text(text):
        text = draw(st.sampled_from(sorted(catalog.services))) + ":" + (text or "*")
    return text


@st.composite
def matching_strings(draw, pattern: str, fill: str = FILL_PLAIN) -> str:
    """A string in lang(pattern): each `*` a run of 0-3 characters, each `?` one, case changed."""
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(draw(st.text(alphabet=fill, max_size=3)))
        elif ch == "?":
            out.append(draw(st.sampled_from(fill)))
        else:
            out.append(ch)
    text = "".join(out)
    return _mixed_case(draw, text) if draw(st.booleans()) else text


@st.composite
def near_misses(draw, text: str, fill: str = FILL_PLAIN) -> str:
    """One edit away from `text`: a character dropped or replaced (or, rarely, a case change of
    one character, which must not change any verdict)."""
    if not text:
        return draw(st.sampled_from(fill))
    i = draw(st.integers(0, len(text) - 1))
    op = draw(st.sampled_from(["drop", "replace", "replace", "case"]))
    if op == "drop":
        return text[:i] + text[i + 1:]
    if op == "case":
        return text[:i] + text[i].swapcase() + text[i + 1:]
    return text[:i] + draw(st.sampled_from(fill)) + text[i + 1:]


@st.composite
def statements(draw, catalog: Catalog, effect: str | None = None) -> dict:
    """One statement: Allow (mostly) or Deny, Action (mostly) or NotAction, 1-4 entries, a
    resource element, and now and then a Sid or a condition."""
    stmt = {}
    if draw(st.booleans()):
        stmt["Sid"] = "S" + str(draw(st.integers(0, 99)))
    stmt["Effect"] = effect or draw(st.sampled_from(["Allow", "Allow", "Allow", "Deny"]))
    key = draw(st.sampled_from(["Action", "Action", "Action", "NotAction"]))
    entries = draw(st.lists(patterns(catalog), min_size=1, max_size=4))
    stmt[key] = entries[0] if len(entries) == 1 and draw(st.booleans()) else entries
    where = draw(st.sampled_from(["Resource"] * 4 + ["NotResource", "none"]))
    if where != "none":
        values = draw(st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True))
        stmt[where] = values[0] if len(values) == 1 else values
    if draw(st.integers(0, 3)) == 0:
        stmt["Condition"] = draw(st.sampled_from(CONDITIONS))
    return stmt


@st.composite
def policy_documents(draw, catalog: Catalog, max_statements: int = 4) -> dict:
    """A policy document (a dict to dump as JSON) with 1-4 statements, at least one Allow."""
    first = draw(statements(catalog, "Allow"))
    rest = draw(st.lists(statements(catalog), max_size=max_statements - 1))
    stmts = rest[:]
    stmts.insert(draw(st.integers(0, len(rest))), first)
    doc = {"Version": "2012-10-17"}
    doc["Statement"] = stmts[0] if len(stmts) == 1 and draw(st.booleans()) else stmts
    return doc


@st.composite
def unused_sets(draw, catalog: Catalog) -> UnusedSet:
    """Listed unused actions (catalog spelling, some retired names the catalog does not know) and
    0-2 wholly unused services (now and then one the catalog does not have)."""
    actions = sorted(actions_of(catalog))
    chosen = draw(st.lists(st.sampled_from(actions), max_size=len(actions), unique=True))
    retired = draw(st.lists(st.builds(lambda s, n: f"{s}:{n}",
                                      st.sampled_from(sorted(catalog.services)),
                                      st.sampled_from(RETIRED)), max_size=2, unique=True))
    known = {fold(a) for a in actions}
    retired = [r for r in retired if fold(r) not in known]
    pool = sorted(catalog.services) + ["sqs"]
    services = draw(st.lists(st.sampled_from(pool), max_size=2, unique=True))
    listed = [a for a in chosen + retired if a.split(":", 1)[0] not in services]
    return UnusedSet(actions=tuple(listed), services=tuple(services),
                     unknown=tuple(r for r in retired if r in listed))
