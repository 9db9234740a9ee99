"""The proof kernel: an independent re-check of a refinement, on plain data, stdlib and z3 only.

The trusted base of a proved refinement; it imports nothing else of verify-refine and treats
every hint as a claim to check. For each Allow statement and its refinement it checks sound
(over all strings, z3), removes (unused names; every string of a wholly unused service, z3),
complete (catalog actions not unused, and patterns that match nothing known), minimal (each
generated entry stands at a token node of its origin whose parent admits an unused action, or,
for NotAction, would exclude a used one: an evaluated witness), or instead of minimal, when the
hints claim a size target, fitted (the refined document's IAM size, all but whitespace, is at
most the target) and structure. Matching is IAM's:
`*` any run, `?` one character, case folded character by character. proofs/README.md has more.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import threading

import z3

STAR, ONE = "*", "?"
z3.set_param("ctrl_c", False)  # Ctrl-C is Python's KeyboardInterrupt, never a z3 "unknown"
_THREAD = threading.local()


def _z3_context() -> z3.Context:
    """This thread's z3 context: z3's main one in the main thread, else one kept per thread
    (z3 objects must not be shared between threads; a Dask worker checks in several)."""
    if threading.current_thread() is threading.main_thread():
        return z3.main_ctx()
    if not hasattr(_THREAD, "context"):  # freed by any thread's collector: concurrent dec-ref
        _THREAD.context = z3.Context()
        z3.Z3_enable_concurrent_dec_ref(_THREAD.context.ref())
    return _THREAD.context


def fold(text: str) -> str:
    return text.lower() if text.isascii() else "".join(
        ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def head(pattern: str) -> str:
    """The folded text before the first wildcard: every string the pattern matches starts so."""
    return re.split(r"[*?]", fold(pattern), maxsplit=1)[0]


def matches(pattern: str, text: str) -> bool:
    """IAM's glob match, folded: on a mismatch, the last `*` takes one more character."""
    p, t = fold(pattern), fold(text)
    i, j, star, mark = 0, 0, -1, -1
    while j < len(t):
        if i < len(p) and p[i] != STAR and (p[i] == ONE or p[i] == t[j]):
            i, j = i + 1, j + 1
        elif i < len(p) and p[i] == STAR:
            star, mark, i = i, j, i + 1
        elif star < 0:
            return False
        else:
            mark += 1
            i, j = star + 1, mark
    return p[i:].strip(STAR) == ""


def under(names: list[str], prefix: str) -> list[str]:
    """The names of a sorted list that start with `prefix` (sorting keeps each prefix's names
    together, and their first len(prefix) characters sorted, so both ends are bisections)."""
    lo = bisect.bisect_left(names, prefix)
    return names[lo:bisect.bisect_right(names, prefix, lo, key=lambda n: n[:len(prefix)])]


def name_tokens(name: str) -> list[str]:
    """CamelCase tokens: split before an upper case letter after a lower case letter or digit,
    before the last capital of an acronym that precedes a word, before any non-alphanumeric."""
    cuts = [0]
    for i in range(1, len(name)):
        a, c, n = name[i - 1], name[i], name[i + 1:i + 2]
        if not c.isalnum() or (c.isupper() and (a.islower() or a.isdigit()
                                                 or (a.isupper() and n.islower()))):
            cuts.append(i)
    return [name[i:j] for i, j in zip(cuts, cuts[1:] + [len(name)]) if name]


def token_prefixes(action: str) -> set[str]:
    service, _, name = action.partition(":")
    tokens = [service + ":"] + name_tokens(name)
    return {fold("".join(tokens[:i])) for i in range(1, len(tokens) + 1)}


def parent(node: str) -> str:
    """The token prefix one token shorter than `node` (empty above a service prefix)."""
    service, colon, name = node.partition(":")
    return node[:len(node) - len(name_tokens(name)[-1])] if colon and name else ""


# -- z3, through SMT-LIB2 text so that no string is ever read as an escape sequence ----------

def smt_string(text: str) -> str:
    return '"' + "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else
                         '""' if c == '"' else "\\u{%x}" % ord(c) for c in text) + '"'


def smt_regex(pattern: str) -> str:
    parts = ["re.all" if c == STAR else "re.allchar" if c == ONE else
             f"(str.to_re {smt_string(c)})" for c in re.split(r"([*?])", fold(pattern)) if c]
    return "(re.++ " + " ".join(parts + ['(str.to_re "")']) + ")"


def smt_union(patterns) -> str:
    return "(re.union re.none " + " ".join(smt_regex(p) for p in dict.fromkeys(
        map(fold, patterns))) + ")"


def exists(regex: str, timeout_ms: int) -> str:
    """'sat' when some string is in `regex`, 'unsat' when none is, else 'unknown'."""
    solver = z3.Solver(ctx=_z3_context())
    solver.set("timeout", timeout_ms)
    solver.set("ctrl_c", False)  # Ctrl-C is the caller's to take, not an unknown answer
    solver.from_string(f"(declare-const x String)(assert (str.in_re x {regex}))")
    return str(solver.check())


def read_unused(data: bytes) -> tuple[set[str], set[str]]:
    """The unused set a findings file names, read here on its own (folded actions, and folded
    services wholly unused): a JSON list of `svc:Action` / `svc:*` names or of
    {serviceNamespace, actions}, get-finding-v2 output (one, or a list of them), IAM Access
    Advisor reports (one page or a list of pages: a service never authenticated is wholly
    unused, a tracked action never accessed is unused), or text with a name a line (# notes)."""
    text = data.decode("utf-8").removeprefix("\ufeff")
    names = [line.split("#", 1)[0].strip() for line in text.split("\n")]
    if text.lstrip().startswith(("[", "{", '"')):
        value, names = json.loads(text), []
        pages = value if isinstance(value, list) else [value]
        if pages and all(isinstance(p, dict) and "ServicesLastAccessed" in p for p in pages):
            for p, s in ((p, s) for p in pages for s in p["ServicesLastAccessed"]):
                names += [f"{s['ServiceNamespace']}:*"] if not s.get("LastAuthenticated") else [
                    a["ActionName"] if ":" in a["ActionName"] else
                    f"{s['ServiceNamespace']}:{a['ActionName']}"
                    for a in s.get("TrackedActionsLastAccessed") or []
                    if not a.get("LastAccessedTime") and p.get("JobType") != "SERVICE_LEVEL"]
            value = []
        elif pages and all(isinstance(p, dict) and "findingDetails" in p for p in pages):
            value = [d["unusedPermissionDetails"] for p in pages for d in p["findingDetails"]
                     if "unusedPermissionDetails" in d]
        for item in value if isinstance(value, list) else None:
            acts = [] if isinstance(item, str) else [
                a["action"] if isinstance(a, dict) else a for a in item.get("actions") or []]
            names += [item] if isinstance(item, str) else [
                a if ":" in a else f"{item['serviceNamespace']}:{a}" for a in acts] or [
                item["serviceNamespace"] + ":*"]
    pairs = [fold(n).split(":") for n in names if n]
    dead = {s for s, a in pairs if a == "*"}
    return {f"{s}:{a}" for s, a in pairs if a != "*" and s not in dead}, dead


class Result:
    """failures and unknown: (property, 0-based statement or None for the policy, message)."""

    def __init__(self):
        self.failures, self.unknown, self.queries = [], [], 0

    @property
    def verdict(self) -> str:
        return "refuted" if self.failures else "unknown" if self.unknown else "proved"


@functools.lru_cache(maxsize=4)
def folded_catalog(actions: tuple) -> tuple[dict, list, bool]:
    """The catalog folded (folded -> as given), its folded names sorted, and whether a name
    holds a character past U+2FFFF: once per catalog, as a batch checks many policies by one."""
    folded = {fold(a): a for a in actions}
    return folded, sorted(folded), too_wide(sorted(folded))


def too_wide(value) -> bool:
    """A string in VALUE holds a character SMT-LIB strings cannot (past U+2FFFF)."""
    text = json.dumps(value, ensure_ascii=False)
    return not text.isascii() and max(map(ord, text)) > 0x2FFFF


class Kernel:
    def __init__(self, unused_actions, unused_services, catalog_actions, timeout_s: float):
        self.unused = {fold(a) for a in unused_actions}
        self.sorted_unused = sorted(self.unused)
        self.dead = {fold(s) for s in unused_services}
        # read only: shared by every Kernel over the same catalog
        self.catalog, self.sorted_catalog, self.wide_catalog = folded_catalog(
            tuple(catalog_actions))
        self.timeout_ms = max(1, int(timeout_s * 1000))
        self.result = Result()
        self.fitted = False  # a size target is claimed: minimality is not, and not checked

    def is_unused(self, folded: str) -> bool:
        return folded in self.unused or folded.split(":", 1)[0] in self.dead

    def matched(self, patterns, names: list[str]) -> set[str]:
        """The (folded, sorted) names some pattern matches, each tested only under its head."""
        out = set()
        for p in set(map(fold, patterns)):  # a pattern written many times is matched once
            h = head(p)
            if STAR not in p and ONE not in p:
                i = bisect.bisect_left(names, h)
                out.update(names[i:i + 1] if names[i:i + 1] == [h] else [])
            else:  # `head*` matches every name under its head: nothing to test
                out.update(n for n in under(names, h) if p == h + STAR or matches(p, n))
        return out

    def fail(self, where: int | None, prop: str, message: str) -> None:
        """Record a failure: (property, 0-based statement or None for the policy, message)."""
        self.result.failures.append((prop, where, message))

    def none_exists(self, where: int | None, prop: str, regex: str, message: str) -> None:
        self.result.queries += 1
        answer = exists(regex, self.timeout_ms)
        if answer == "sat":
            self.fail(where, prop, message)
        elif answer != "unsat":
            self.result.unknown.append((prop, where, f"solver: {answer}"))

    def none_in_any(self, where: int | None, prop: str, terms: list[tuple[str, str]]) -> None:
        """Queries of 40 regexes at a time; on any answer but unsat, each one on its own."""
        for chunk in (terms[n:n + 40] for n in range(0, len(terms), 40)):
            self.result.queries += 1
            if len(chunk) == 1 or exists("(re.union re.none " + " ".join(
                    r for r, _ in chunk) + ")", self.timeout_ms) != "unsat":
                for regex, message in chunk:
                    self.none_exists(where, prop, regex, message)

    def pair(self, where: int | None, p: dict, r: dict | None, hints: list) -> None:
        negated = "NotAction" in p
        key = "NotAction" if negated else "Action"
        ps, rs = listed(p.get(key)), ([] if r is None else listed(r.get(key)))
        hints = [h if isinstance(h, dict) else {} for h in hints] + [{}] * len(rs)
        if negated and r is not None and [fold(t) for t in rs[:len(ps)]] != [fold(t) for t in ps]:
            self.fail(where, "sound", "the original NotAction entries are not all kept")
        elif not negated:
            wide = [t for e, hint in zip(rs, hints) if (t := self.sound(where, e, origin_of(
                hint, ps) or ps))]
            self.none_in_any(where, "sound", wide)
        for u in sorted(self.allowed(rs, negated, self.sorted_unused) if r is not None else []):
            self.fail(where, "removes", f"{self.catalog.get(u, u)} is still allowed")
        for svc in sorted(self.dead) if r is not None else []:
            near = [e for e in rs if may_meet(e, svc)]
            if negated or near:
                self.none_exists(where, "removes", f"(re.inter {smt_regex(svc + ':*')} " + (
                    f"(re.comp {smt_union(near)})" if negated else smt_union(near)) + ")",
                    f"a string of {svc}:* is allowed")
        before = self.allowed(ps, negated, self.sorted_catalog)
        after = self.allowed(rs, negated, self.sorted_catalog) if r is not None else set()
        for a in sorted(a for a in before - after if not self.is_unused(a)):
            self.fail(where, "complete", f"{self.catalog[a]} is no longer allowed")
        written = {fold(e) for e in rs}  # docs/DESIGN.md section 1: kept when nothing known
        for q in [] if negated else {fold(q): q for q in reversed(ps)}.values():
            if not (self.matched([q], self.sorted_catalog) or self.matched([q], self.sorted_unused)
                    or fold(q) in written or self.dead and exists(
                        f"(re.inter {smt_regex(q)} {smt_union(s + ':*' for s in self.dead)})",
                        self.timeout_ms) == "sat"):
                self.none_exists(where, "complete", f"(re.inter {smt_regex(q)} (re.comp "
                                 f"{smt_union(rs)}))", f"{q} matches no catalog action and is "
                                 "no longer allowed")
        kept = {fold(q) for q in ps}
        for n, (e, hint) in enumerate(zip(rs, hints) if not self.fitted else ()):
            if (n >= len(ps) if negated else fold(e) not in kept):
                self.minimal(where, e, hint, ps, negated)

    def sound(self, where: int | None, e: str, inside: list[str]) -> tuple[str, str] | None:
        """Literals are checked here; a wildcard comes back as the regex that must be empty."""
        if STAR not in e and ONE not in e:
            if not any(matches(q, e) for q in inside):
                self.fail(where, "sound", f"{e} is not allowed by the original")
        elif not any(fold(e) == fold(q) or q.strip(STAR) == "" for q in inside):
            return (f"(re.inter {smt_regex(e)} (re.comp {smt_union(inside)}))",
                    f"{e} allows more than {inside}")

    def allowed(self, patterns, negated: bool, names: list[str]) -> set[str]:
        hit = self.matched(patterns, names)
        return set(names) - hit if negated else hit

    def minimal(self, where: int | None, e: str, hint: dict, ps: list[str], negated: bool) -> None:
        node, unsafe, witness = (hint.get(k) for k in ("node", "unsafe", "witness"))
        if negated and node is None and (fold(e)[:-2] in self.dead and fold(e).endswith(":*") or (
                STAR not in e and ONE not in e and self.is_unused(fold(e)))):
            return  # an unused name, or a dead service, excluded as written
        origin = origin_of(hint, ps)
        if not all(isinstance(v, str) for v in (node, unsafe, witness)) or not node or not (
                negated or origin):
            return self.fail(where, "minimal", f"{e}: no origin, token node, unsafe prefix "
                             "and witness")
        if fold(unsafe) != fold(parent(node)) and not fold(unsafe) == fold(node) == fold(e):
            return self.fail(where, "minimal", f"{e}: {unsafe!r} is not one token above {node}")
        here = [a for a in under(self.sorted_catalog, fold(node)) if (
            not any(matches(q, a) for q in ps) if negated else matches(origin[0], a))]
        if not any(fold(node) in token_prefixes(self.catalog[a]) for a in here) or not (
                here == [fold(e)] or stands_at(e, node, STAR if negated else origin[0])):
            return self.fail(where, "minimal", f"{e}: does not stand at {node}, a token node of "
                             "a catalog action in its origin")
        w = fold(witness)
        if not negated and w.endswith(":*") and w[:-2] in self.dead:  # a solver finds one
            self.result.queries += 1
            if exists(f"(re.inter {smt_regex(origin[0])} {smt_regex(w)} "
                      f"{smt_regex(fold(unsafe) + STAR)})", self.timeout_ms) != "sat":
                self.fail(where, "minimal", f"{e}: {unsafe}* admits no {witness} in {origin}")
        elif not w.startswith(fold(unsafe)):
            self.fail(where, "minimal", f"{e}: witness {witness} is not under {unsafe}")
        elif negated:
            if any(matches(q, w) for q in ps) or self.is_unused(w) or w not in self.catalog:
                self.fail(where, "minimal", f"{e}: {witness} is not a used action it allowed")
        elif not (matches(origin[0], w) and self.is_unused(w)):
            self.fail(where, "minimal", f"{e}: {witness} is not an unused action in {origin}")


def stands_at(entry: str, node: str, pattern: str) -> bool:
    """Is the entry the node followed by one way the pattern goes on after it (or by `*`, when
    one way on is anything)? Those globs make up lang(pattern) under the node."""
    e, n, p = fold(entry), fold(node), fold(pattern)
    rests = {p[j:] for j in range(len(p) + 1)
             if matches(p[:j], n) or (p[j:j + 1] == STAR and matches(p[:j + 1], n))}
    return e.startswith(n) and (e[len(n):] in rests or e[len(n):] == STAR
                                and any(r.strip(STAR) == "" for r in rests))


def origin_of(hint: dict, ps: list[str]) -> list[str]:
    k = hint.get("origin")
    return [ps[k]] if type(k) is int and 0 <= k < len(ps) else []


def may_meet(pattern: str, service: str) -> bool:
    """Can the pattern match a string of the service? (Its literal head must fit `svc:`.)"""
    return head(pattern).startswith(service + ":") or (service + ":").startswith(head(pattern))


def listed(value) -> list:
    """An element IAM accepts as one value or a list of them, as a list."""
    return [value] if isinstance(value, (str, dict)) else list(value or [])


def same(a, b) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def check(original: dict, refined: dict, findings: bytes, catalog_actions, hints: dict,
          timeout_s: float = 10.0, claimed=None) -> Result:
    """Check that `refined` is a proved refinement of `original` by the unused set that the
    findings file's bytes name; the hints are not trusted, nor is `claimed`, the unused set
    (actions, services) the caller refined with, which must be the file's."""
    try:
        unused = read_unused(findings)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        k = Kernel((), (), catalog_actions, timeout_s)
        k.fail(None, "inputs", f"the findings file cannot be read ({exc!r})")
        return k.result
    k = Kernel(*unused, catalog_actions, timeout_s)
    if k.wide_catalog or too_wide([original, refined, hints, sorted(k.unused), sorted(k.dead)]):
        k.result.unknown.append(("inputs", None, "a string holds a character above U+2FFFF, "
                                 "which SMT-LIB strings cannot hold"))
        return k.result
    if claimed is not None and unused != ({fold(a) for a in claimed[0]},
                                          {fold(s) for s in claimed[1]}):
        k.fail(None, "inputs", "the unused set refined by is not the one the findings "
               "file names: " + ", ".join(sorted(unused[0] ^ {fold(a) for a in claimed[0]} | {
                   s + ":*" for s in unused[1] ^ {fold(s) for s in claimed[1]}})))
    fit = hints.get("fit") if isinstance(hints, dict) else None
    if fit is not None:
        k.fitted, target = True, fit.get("target") if isinstance(fit, dict) else None
        size = sum(not c.isspace() for c in json.dumps(refined, ensure_ascii=False))
        if type(target) is not int or size > target:
            k.fail(None, "fitted", f"the refined policy is {size} characters; target {target!r}")
    rest = lambda doc: {n: v for n, v in doc.items() if n != "Statement"}  # noqa: E731
    if not same(rest(original), rest(refined)):
        k.fail(None, "structure", "elements other than Statement differ")
    ps, rs = listed(original.get("Statement")), listed(refined.get("Statement"))
    rows = hints.get("statements") if isinstance(hints, dict) else None
    if not isinstance(rows, list) or len(rows) != len(ps):
        k.fail(None, "structure", "the hints do not pair every original statement")
        return k.result
    j = 0
    for i, (p, row) in enumerate(zip(ps, rows)):
        where = i
        target = row.get("refined", j) if isinstance(row, dict) else -1
        if target is None and p.get("Effect") == "Allow":
            k.pair(where, p, None, [])
            continue
        if target != j or j >= len(rs):
            k.fail(where, "structure", "removed, reordered or missing in the refinement")
            return k.result
        r, j = rs[j], j + 1
        key = "Action" if "Action" in p else "NotAction"
        if key not in r or not same({n: v for n, v in p.items() if n != key},
                                    {n: v for n, v in r.items() if n != key}):
            k.fail(where, "structure", "an element other than the action list changed")
        elif p.get("Effect") != "Allow":
            if not same(p, r):
                k.fail(where, "structure", f"a {p.get('Effect')} statement changed")
        else:
            k.pair(where, p, r, row["entries"] if isinstance(row.get("entries"), list) else [])
    if j != len(rs):
        k.fail(None, "structure", "the refinement has statements with no original")
    return k.result
