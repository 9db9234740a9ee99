"""Mutation testing of the refiner: deliberately wrong refiners, and the cases that kill them.

A mutant is one realistic bug, written as a textual change to the source of one refiner-side
module (refine.py, trie.py, unusedindex.py, report.py, or a private copy of tokens.py). Applying
it compiles the changed source into a fresh namespace and installs the changed functions and
classes into the refiner's own modules for the duration of a `with` block; src/ is never
edited, and nothing the prover imports is touched (see PROVER_MODULES). A mutant whose `old`
text is no longer in the source fails loudly, so the list follows the refiner as it changes.

A mutant is killed by a case when the refiner's output on it (the refined policy and its
hints) differs from the correct refiner's, and the obligation prover refutes it (a structure
problem or a failed obligation, each with its property); a crash of the mutated refiner is
never a kill. Cases are the three worked examples under examples/, then seeded random ones
over small CamelCase catalogs: Allow statements with Action and NotAction, Deny statements,
case-sensitive resources and conditions, patterns with `*` and `?` anywhere.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from verify_refine import pipeline
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.findings import UnusedSet
from verify_refine.inputs.policy import parse_policy
from verify_refine.prove.whole import CounterexampleError
from verify_refine.verdict import Verdict

ROOT = Path(__file__).resolve().parents[1]

# Modules the prover (obligations, prover, whole, certificate) reads: a mutant never installs
# anything into them. tokens.py may be mutated only as a private copy installed into trie.py.
PROVER_MODULES = frozenset({
    "verify_refine.spec.tokens", "verify_refine.spec.glob", "verify_refine.spec.languages",
    "verify_refine.inputs.catalog", "verify_refine.inputs.findings", "verify_refine.jsonout",
    "verify_refine.inputs.model", "verify_refine.inputs.jsontext", "verify_refine.inputs.policy", "verify_refine.certificate",
    "verify_refine.prove.obligations", "verify_refine.prove.prover", "verify_refine.prove.whole",
    "verify_refine.prove.whole.model", "verify_refine.prove.whole.variables",
    "verify_refine.prove.whole.formula", "verify_refine.prove.whole.regex",
    "verify_refine.prove.whole.slices", "verify_refine.prove.whole.results",
    "verify_refine.prove.whole.recheck", "verify_refine.prove.whole.verifier",
    "verify_refine.prove.encode", "verify_refine.prove.solver", "verify_refine.prove.cvc5_solver",
    "verify_refine.prove.kernel", "verify_refine.prove.kernel_call", "verify_refine.files",
    "verify_refine.errors"})


@dataclass(frozen=True)
class Mutant:
    """One bug: a name, what is wrong, and the source change that makes it."""

    name: str
    bug: str
    module: str  # the module whose source is changed
    edits: tuple[tuple[str, str], ...]  # (old, new): each old text occurs exactly once
    into: tuple[str, ...] = ()  # modules to install into (default: the changed module)
    names: tuple[str, ...] = ()  # what to install (default: every function and class)

    def namespace(self) -> dict:
        """The changed module, compiled into a fresh namespace."""
        module = importlib.import_module(self.module)
        source = inspect.getsource(module)
        for old, new in self.edits:
            count = source.count(old)
            if count != 1:
                raise AssertionError(f"mutant {self.name}: {old!r} occurs {count} times in "
                                     f"{self.module}; update the mutant")
            source = source.replace(old, new)
        namespace = {"__name__": module.__name__, "__package__": module.__package__,
                     "__file__": module.__file__}
        exec(compile(source, f"<mutant {self.name} of {self.module}>", "exec"), namespace)
        return namespace

    @contextlib.contextmanager
    def applied(self, namespace: dict | None = None):
        """Install the mutant into the refiner's modules; everything is restored on exit."""
        namespace = namespace if namespace is not None else self.namespace()
        targets = self.into or (self.module,)
        wanted = self.names or tuple(
            name for name, value in namespace.items()
            if (inspect.isfunction(value) or inspect.isclass(value))
            and getattr(value, "__module__", None) == self.module)
        saved = []
        try:
            for target in targets:
                if target in PROVER_MODULES:
                    raise AssertionError(f"mutant {self.name} would change the prover's {target}")
                module = importlib.import_module(target)
                for name in wanted:
                    if hasattr(module, name):
                        saved.append((module, name, getattr(module, name)))
                        setattr(module, name, namespace[name])
            yield self
        finally:
            for module, name, value in reversed(saved):
                setattr(module, name, value)


R, TRIE, TOK, IDX, REP = ("verify_refine.refine.refiner", "verify_refine.refine.trie", "verify_refine.spec.tokens",
                          "verify_refine.refine.unused_index", "verify_refine.report.document")


def _m(name, bug, module, *edits, into=(), names=()):
    return Mutant(name, bug, module, tuple(edits), tuple(into), tuple(names))


# The refiner's own text for the pieces it emits at a node (edited by one mutant below).
_TEXTS = ("            texts = ((self.catalog.canonical(covered[0]),) if len(covered) == 1 else\n"
          "                     tuple(t for t in emitted if any(fast_match(t, a) "
          "for a in covered)))")
MUTANTS: tuple[Mutant, ...] = (
    _m("fold-node-prefix",
       "safety check compares the node's canonical-case prefix with the folded unused names",
       R, ("        folded = fold(prefix)\n"
           "        i = bisect.bisect_left(self.unused_here, folded)",
           "        folded = prefix\n"
           "        i = bisect.bisect_left(self.unused_here, folded)")),
    _m("fold-unused-names",
       "the unused index keeps unused names in their own case (no case folding)",
       IDX, ("self._names = {fold(a): a for a in unused.actions}",
             "self._names = {a: a for a in unused.actions}"),
       into=(IDX, R), names=("UnusedIndex",)),
    _m("tokens-one-late",
       "token boundaries one character late (GetObject -> GetO|bject)",
       TOK, ("            tokens.append(name[start:i])\n            start = i",
             "            tokens.append(name[start:i + 1])\n            start = i + 1"),
       into=(TRIE,), names=("token_prefixes",)),
    _m("tokens-one-early",
       "token boundaries one character early (GetObject -> Ge|tObject)",
       TOK, ("            tokens.append(name[start:i])\n            start = i",
             "            tokens.append(name[start:i - 1])\n            start = i - 1"),
       into=(TRIE,), names=("token_prefixes",)),
    _m("tokens-no-acronym",
       "acronyms not split from the next word (DBInstances is one token)",
       TOK, ("            boundary = (prev.islower() or prev.isdigit()\n"
             "                        or (prev.isupper() and nxt.islower()))",
             "            boundary = (prev.islower() or prev.isdigit())"),
       into=(TRIE,), names=("token_prefixes",)),
    _m("unsafe-bisect-right",
       "safety check misses an unused action equal to the node (bisect_right): keeps an unsafe "
       "wildcard", R,
       ("i = bisect.bisect_left(self.unused_here, folded)",
        "i = bisect.bisect_right(self.unused_here, folded)")),
    _m("drop-used-inner-action",
       "a used action is kept literally only at a leaf: used actions with longer siblings are "
       "dropped", R,
       ("if node.action is not None and not self.index.is_unused(node.action):",
        "if node.action is not None and not self.index.is_unused(node.action) "
        "and not node.children:")),
    _m("keep-unused-inner-action",
       "an unsafe node's own action is kept literally even when it is unused", R,
       ("if node.action is not None and not self.index.is_unused(node.action):",
        "if node.action is not None:")),
    _m("ignore-unused-services",
       "whole unused services (svc:*) are ignored", R,
       ("    index = UnusedIndex(unused)\n",
        "    index = UnusedIndex(type(unused)(unused.actions, (), unused.unknown))\n")),
    _m("services-only-at-root",
       "an unused service makes only the root unsafe, not the service's own nodes", R,
       ('return f"{service}:*" if service in self.index.services and ":" in folded else None',
        "return None")),
    _m("unknown-unused-forgotten",
       "unused names the catalog does not know are forgotten", R,
       ("    index = UnusedIndex(unused)\n",
        "    index = UnusedIndex(type(unused)(tuple(a for a in unused.actions "
        "if catalog.canonical(a)), unused.services, ()))\n")),
    _m("literal-unused-kept",
       "a literal (wildcard-free) unused action is kept instead of dropped", R,
       ("    if not has_wildcard(text):\n        return PatternOutcome(position, pattern, DROPPED, "
        "names, (), len(matched))",
        "    if not has_wildcard(text):\n        return PatternOutcome(position, pattern, KEPT, "
        "(), (Entry(text, text, position, False),), len(matched))")),
    _m("question-not-wildcard",
       "`?` is not seen as a wildcard: a `?` pattern admitting an unused action is dropped whole",
       R, ("from .unused_index import UnusedIndex\n",
           "from .unused_index import UnusedIndex\n\n"
           "def has_wildcard(pattern):\n    return STAR in pattern\n")),
    _m("question-as-star",
       "a tail of `?` is treated like `*` when a node extends past the pattern's head", R,
       ("if rest and rest.strip(STAR) == \"\" and len(prefix) > len(head):",
        "if rest and rest.strip(STAR + \"?\") == \"\" and len(prefix) > len(head):"),
       ("if any(rest and rest.strip(STAR) == \"\" for rest in rests):",
        "if any(rest and rest.strip(STAR + \"?\") == \"\" for rest in rests):")),
    _m("midstring-suffix-lost",
       "the text after a mid-string wildcard is lost (s3:Get*Acl narrowed to s3:GetBucket*)", R,
       ("    return tuple(without_subsumed_texts([prefix + rest for rest in rests]))",
        "    return (prefix + STAR,)")),
    _m("depth-one-too-long",
       "emits one token below the shortest safe node (not minimal)", R,
       ("        if node.prefix and witness is None:\n            covered",
        "        if node.prefix and witness is None and (not node.children or (\n"
        "                parent_prefix and self.unsafe_witness(parent_prefix) is None)):\n"
        "            covered"),
       ("            self.visit(child, emitted, witness, node.prefix)",
        "            self.visit(child, emitted, witness or parent_witness, node.prefix)")),
    _m("depth-one-too-short",
       "emits the last unsafe node (one token too short) instead of the first safe one", R,
       ("from .unused_index import UnusedIndex\n",
        "from .unused_index import UnusedIndex\nfrom ..spec.tokens import token_parent\n"),
       ("            for text in texts:\n"
        "                self.entries.append(Entry(text, self.pattern, self.position, True,\n"
        "                                          parent, parent_witness, node.prefix, "
        "parent_prefix))",
        "            node_prefix, unsafe_prefix = node.prefix, parent_prefix\n"
        "            if parent_prefix:\n"
        "                texts, node_prefix = parent, parent_prefix\n"
        "                unsafe_prefix = token_parent(parent_prefix)\n"
        "            for text in texts:\n"
        "                self.entries.append(Entry(text, self.pattern, self.position, True,\n"
        "                                          parent, parent_witness, node_prefix, "
        "unsafe_prefix))")),
    _m("safety-outside-pattern",
       "the safety check counts unused actions outside the pattern (deeper than needed)", R,
       ("self.unused_here = index.literals_in(pattern)",
        "self.unused_here = index.literals_with_prefix(fold(literal_head(pattern)))")),
    _m("dedupe-drops-both",
       "duplicate entries (equal languages) are all dropped instead of keeping the first", R,
       ("entries = list(unique.values())",
        "entries = [e for e in unique.values() if [fold(x.text) for x in entries]"
        ".count(fold(e.text)) == 1]")),
    _m("subsumption-inverted",
       "the subsumption test is inverted: the wider of two nested entries is dropped", R,
       ("if j == i or not includes(e.text, entries[j].text):",
        "if j == i or not includes(entries[j].text, e.text):")),
    _m("statement-removed-when-narrowed",
       "an Action statement none of whose patterns is kept verbatim is removed", R,
       ("return StatementResult(stmt, outcomes, (), tuple(entries) or None, True)",
        "return StatementResult(stmt, outcomes, (), tuple(entries) if any("
        "o.status == KEPT for o in outcomes) else None, True)")),
    _m("deny-narrowed",
       "Deny statements are refined like Allow statements", R,
       ('if stmt.effect != "Allow" or stmt.action_key is None:',
        "if stmt.action_key is None:")),
    _m("notaction-as-action",
       "a NotAction list is narrowed as if it were an Action list", R,
       ('elif stmt.action_key == "Action":', 'elif stmt.action_key in ("Action", "NotAction"):')),
    _m("notaction-removed-if-any-unused",
       "an Allow+NotAction statement is removed when any (not every) action it allows is unused",
       R, ("if all(index.is_unused(a) for a in allowed):",
           "if any(index.is_unused(a) for a in allowed):")),
    _m("notaction-first-action-only",
       "NotAction: a prefix counts as all-unused when its first action is unused", R,
       ("pool = self.allowed if not folded_prefix else self._range(folded_prefix)",
        "pool = self.allowed if not folded_prefix else self._range(folded_prefix)[:1]")),
    _m("notaction-unknown-forgotten",
       "NotAction: unused names the catalog does not know are not excluded", R,
       ("        if u not in known:\n", "        if u not in known and u in known:\n")),
    _m("notaction-service-as-action",
       "NotAction: a wholly unused service with one catalog action is excluded by that action "
       "only", R,
       ("single = len(under) == 1 and not whole_service", "single = len(under) == 1")),
    _m("resource-lowercased",
       "Resource is case-folded along with the actions", REP,
       ("        out[key] = value\n    return out",
        "        if key == \"Resource\":\n"
        "            value = fold(value) if isinstance(value, str) else [fold(v) for v in value]\n"
        "        out[key] = value\n    return out"),
       ("from ..jsonout import dumps\n", "from ..jsonout import dumps\nfrom ..spec.glob import fold\n"),
       names=("_with_actions",)),
    _m("condition-dropped",
       "the Condition of a narrowed statement is dropped", REP,
       ("        out[key] = value\n    return out",
        "        if key == \"Condition\":\n            continue\n"
        "        out[key] = value\n    return out"),
       names=("_with_actions",)),
    _m("depth-one-too-long-hinted",
       "emits the children of the shortest safe node, each hinted as that node (not minimal)", R,
       (_TEXTS,
        "            if len(covered) > 1 and node.children:\n"
        "                texts = (node.action,) if node.action is not None else ()\n"
        "                for child in node.ordered_children():\n"
        "                    under = self.covered(child.prefix)\n"
        "                    texts += ((self.catalog.canonical(under[0]),) "
        "if len(under) == 1 else\n"
        "                              tuple(t for t in emission(self.pattern, child.prefix)\n"
        "                                    if any(fast_match(t, a) for a in under)))\n"
        "            else:\n" + _TEXTS.replace("\n    ", "\n        ").replace(
            "            texts", "                texts", 1))),
    _m("uncatalogued-dropped",
       "a pattern that matches no catalog action (a retired or misspelled name) is dropped", R,
       ("    if not removed:\n        entry = Entry(text, text, position, False)",
        "    if not removed and matched:\n        entry = Entry(text, text, position, False)")),
)


# Bugs the prover does not catch: not counted in the kill rate, kept to document what the four
# theorems (as the obligations and the kernel check them) leave out. test_mutants.py asserts that they still
# survive, so a prover that learns to catch one shows up as a test to update.
SURVIVORS: tuple[Mutant, ...] = (
    _m("subsumed-kept",
       "entries equal to or inside another entry are kept (a redundant list)", R,
       ("def without_subsumed(entries) -> list[Entry]:\n",
        "def without_subsumed(entries) -> list[Entry]:\n    return list(entries)\n")),
)

WHY_THEY_SURVIVE = {
    "subsumed-kept":
        "equivalent under the four theorems: a redundant list allows the same strings; "
        "'without subsumed entries' is part of the algorithm, not of a proved property",
}


# ------------------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    name: str
    catalog: Catalog
    policy: bytes
    unused: UnusedSet


def example_cases() -> list[Case]:
    out = []
    for folder, catalog_file in (("blog", "catalog-2024-10-24.json"),
                                 ("deployer", "catalog-2026-10-27.json"),
                                 ("analyst", "catalog-2026-10-27.json")):
        base = ROOT / "examples" / folder
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


def cases(seed: int = 6, count: int = 300) -> list[Case]:
    return example_cases() + generated_cases(seed, count)


# ------------------------------------------------------------------------------ the hunt


@dataclass(frozen=True)
class Output:
    text: str  # the refined policy as the CLI writes it
    hints: dict

    @property
    def key(self) -> str:
        return self.text + json.dumps(self.hints, sort_keys=True)


def refined_output(case: Case) -> Output:
    """What `verify-refine refine` would write and hint, through the pipeline's refine step
    and the refiner as installed now."""
    original = parse_policy(case.policy, "policy.json")
    done = pipeline.refine_and_prove(original, case.unused, case.catalog, prove=False)
    return Output(done.text, done.hints)


def prove(case: Case, out: Output, timeout_s: float = 10.0) -> pipeline.Proving:
    """The pipeline's verdict on an output: the obligations, then the proof kernel."""
    original = parse_policy(case.policy, "policy.json")
    refined = parse_policy(out.text.encode(), "refined.json", allow_empty=True)
    return pipeline.prove_refinement(original, refined, out.hints, case.unused, case.catalog,
                                     timeout_s=timeout_s)


def refuted_by(proof: pipeline.Proving) -> tuple[str, str] | None:
    """(property, reason) of a refutation, or None when the proof holds or is unknown."""
    if proof.verdict is not Verdict.REFUTED:
        return None
    first = next(p for p in proof.problems if p.verdict is Verdict.REFUTED)
    return first.property, first.message


def whole_verdict(case: Case, out: Output, timeout_s: float = 10.0) -> dict[str, str]:
    """The whole-policy verifier's status for each of sound, removes, complete."""
    original = parse_policy(case.policy, "policy.json")
    refined = parse_policy(out.text.encode(), "refined.json", allow_empty=True)
    try:
        results = pipeline.verify_each(original, refined, case.unused, case.catalog,
                                       timeout_s=timeout_s)
    except CounterexampleError as exc:
        return {"error": str(exc)}
    return {prop: str(r.status) for prop, r in results.items()}


@dataclass
class Hunt:
    mutant: Mutant
    killed: bool = False
    killed_by: str | None = None
    reason: str = ""
    cases_run: int = 0  # cases until the kill (or all cases)
    case: Case | None = None
    output: Output | None = None
    differing: int = 0  # cases whose output differed from the correct refiner's
    accepted_differing: list[str] = field(default_factory=list)  # differed, yet proved
    unknown: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    whole: dict[str, str] = field(default_factory=dict)
    kernel: list[str] = field(default_factory=list)  # the proof kernel's failures on the kill
    correct_proved: bool | None = None
    seconds: float = 0.0

    @property
    def whole_rejects(self) -> bool:
        return "refuted" in self.whole.values()


class Correct:
    """The correct refiner's output on each case, computed once."""

    def __init__(self):
        self._cache: dict[str, Output] = {}

    def __call__(self, case: Case) -> Output:
        if case.name not in self._cache:
            self._cache[case.name] = refined_output(case)
        return self._cache[case.name]


def differing_outputs(mutant: Mutant, all_cases: list[Case], correct: Correct,
                      crashes: list[str]):
    """For each case, (its number, the case, the mutant's output and its proof) when the output
    differs from the correct refiner's, else (number, case, None, None). A crash of the mutated
    refiner is recorded in `crashes` (a broken mutant, never a kill) and the case skipped."""
    namespace = mutant.namespace()
    for n, case in enumerate(all_cases, 1):
        expected = correct(case)  # outside the mutant
        try:
            with mutant.applied(namespace):
                out = refined_output(case)
        except Exception as exc:
            crashes.append(f"{case.name}: {type(exc).__name__}: {exc}")
            continue
        if out.key == expected.key:
            yield n, case, None, None
        else:
            yield n, case, out, prove(case, out)


def hunt(mutant: Mutant, all_cases: list[Case], correct: Correct, with_whole: bool = True
         ) -> Hunt:
    """Run cases through the mutant until the prover refutes an output that differs."""
    start = time.perf_counter()
    result = Hunt(mutant)
    for n, case, out, proof in differing_outputs(mutant, all_cases, correct, result.crashes):
        result.cases_run = n
        if out is None:
            continue
        result.differing += 1
        verdict = refuted_by(proof)
        if verdict is None:
            (result.unknown if proof.verdict is Verdict.UNKNOWN
             else result.accepted_differing).append(case.name)
            continue
        result.killed, result.case, result.output = True, case, out
        result.killed_by, result.reason = verdict
        break
    if result.killed:
        result.correct_proved = prove(result.case, correct(result.case)).verdict is \
            Verdict.PROVED
        if with_whole:
            result.whole = whole_verdict(result.case, result.output)
        result.kernel = kernel_failures(result.case, result.output)
    result.seconds = time.perf_counter() - start
    return result


def kernel_failures(case: Case, out: Output) -> list[str]:
    """What the proof kernel (the trusted base) finds wrong with an output, from plain JSON."""
    from verify_refine.prove import kernel_call as kernelcheck

    problems, _ = kernelcheck.check(json.loads(case.policy), json.loads(out.text),
                                    case.unused, case.catalog, out.hints, 10.0)
    return [f"{p.property}: {p.message}" for p in problems]


# ------------------------------------------------------------------------------ survey


def oracle_problems(case: Case, out: Output, rng_seed: int = 0) -> list[str]:
    """Statement by statement, with the brute-force oracle of tests/oracle.py (reference matcher
    only): sound on samples and near misses, removes and complete on the catalog and the unused
    names, and the structure check. An independent second opinion on an accepted output."""
    from oracle import allows, catalog_actions, is_unused, near_misses, samples

    rng = random.Random(rng_seed)
    doc = json.loads(case.policy)
    refined = json.loads(out.text)
    originals = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    news = refined.get("Statement", [])
    news = news if isinstance(news, list) else [news]
    problems = []
    universe = catalog_actions(case.catalog) + list(case.unused.actions) + [
        f"{s}:NotInTheCatalog" for s in case.unused.services]
    for row in out.hints["statements"]:
        before = originals[row["original"]]
        after = None if row["refined"] is None else news[row["refined"]]
        key = "Action" if "Action" in before else "NotAction" if "NotAction" in before else None
        rest = {k: v for k, v in before.items() if k != key}
        if after is not None and {k: v for k, v in after.items() if k != key} != rest:
            problems.append(f"statement {row['original'] + 1}: structure")
        if before["Effect"] != "Allow":
            if after != before:
                problems.append(f"statement {row['original'] + 1}: Deny changed")
            continue
        if key is None:
            continue
        listed = lambda s: s[key] if isinstance(s[key], list) else [s[key]]  # noqa: E731
        old = listed(before)
        new = [] if after is None else listed(after)
        neg = key == "NotAction"

        def allowed(entries, action):
            if after is None and entries is new:
                return False
            return allows(entries, action, neg)

        probes = list(universe)
        for text in old + new:
            for sample in samples(text, rng):
                probes += [sample, *near_misses(sample, rng)]
        where = f"statement {row['original'] + 1}"
        for s in probes:
            if allowed(new, s) and not allowed(old, s):
                problems.append(f"{where}: sound: {s}")
                break
        for s in universe:
            if is_unused(case.unused, s) and allowed(new, s):
                problems.append(f"{where}: removes: {s}")
                break
        for s in catalog_actions(case.catalog):
            if allowed(old, s) and not is_unused(case.unused, s) and not allowed(new, s):
                problems.append(f"{where}: complete: {s}")
                break
    return problems


@dataclass
class Survey:
    """Every case through one mutant: how often its output differs, and what the prover says."""

    mutant: Mutant
    cases: int = 0
    differing: int = 0
    refuted: int = 0
    crashes: int = 0
    by_property: dict[str, int] = field(default_factory=dict)
    accepted: list[tuple[str, list[str], dict[str, str]]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def survey(mutant: Mutant, all_cases: list[Case], correct: Correct) -> Survey:
    """Run every case; for outputs the prover accepts, ask the oracle and the whole verifier."""
    result = Survey(mutant)
    crashes: list[str] = []
    for _, case, out, proof in differing_outputs(mutant, all_cases, correct, crashes):
        result.cases += 1
        if out is None:
            continue
        result.differing += 1
        verdict = refuted_by(proof)
        if verdict is not None:
            result.refuted += 1
            result.by_property[verdict[0]] = result.by_property.get(verdict[0], 0) + 1
        elif proof.verdict is Verdict.UNKNOWN:
            result.unknown.append(case.name)
        else:
            result.accepted.append((case.name, oracle_problems(case, out),
                                    whole_verdict(case, out)))
    result.crashes = len(crashes)
    result.cases += len(crashes)
    return result
