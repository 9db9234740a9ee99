"""Slices: each property cut in small queries, whose union is exactly the property.

Slicing, so that every query is small and the union of the queries is exactly the property:

- complete and removes range over finite action sets (used catalog actions; unused names).
  An action enters a query only through "statement group g admits a", computed here with the
  matcher; actions with the same membership vector share one query in which those
  memberships are constants while r and the condition booleans stay symbolic (the record
  lists the actions; the first one is reported). Actions that no Allow statement of the
  policy under test admits need no query.
- removes for an unused service `svc`: one query with a symbolic a in `svc:`·Σ*, with only
  the patterns that can overlap `svc:`.
- sound ranges over all strings. A request REFINED allows is allowed through a literal entry
  of one of its Allow statements, or through a wildcard entry or a NotAction statement.
  Literal entries form a finite set, checked like complete (ground memberships of every
  statement, one query per vector). For the rest, one query per service prefix s of a
  wildcard entry (a in `s:`·Σ*, REFINED's Allow statements reduced to their wildcard entries
  and NotAction, every other statement to the patterns whose literal head can overlap `s:`),
  plus one query for the strings that start with none of those prefixes. The prefixes `s:`
  are pairwise disjoint and with the rest cover every string; a slice whose query would be
  large is split further, one query per wildcard entry (and per NotAction statement).
"""

from __future__ import annotations

from ...spec.glob import has_wildcard, literal_head, prefix_bounds
from ...spec.languages import fast_match, literal_tail
from .formula import a_in, and_, not_, or_, r_in, to_cells, to_smt
from .model import ORIGINAL, REFINED, Group, Model
from .regex import action_regex, action_union, re_union, resource_regex, resource_union
from .results import SOUND

# --- the policies as formulas --------------------------------------------------------------------

def _resource_atom(g: Group):
    """The resource element: a regex membership, or'ed with (boolean and skeleton) for each
    entry holding a policy variable, and the element's in_effect boolean (see variables.py)."""
    if g.element is None:
        return True
    el = g.element
    in_effect = True if el.in_effect is None else ("c", el.in_effect)
    definite = r_in(re_union([resource_union(el.globs)] + el.regexes()))
    atom = or_(and_(in_effect, definite) if el.kind == "Resource" else definite,
               *(and_(("c", v.atom), r_in(resource_regex(v.skeleton))) for v in el.variables))
    return atom if el.kind == "Resource" else and_(in_effect, not_(atom))


def _context_atom(g: Group):
    return True if g.context is None else ("c", g.context)


def allows_formula(groups: list[Group], admits):
    """"The policy of these groups allows (a, r)", given each group's action admission (a
    formula over a, or a constant): some Allow group applies and no Deny group does."""
    def applies(g):
        x = admits(g)
        return False if x is False else and_(x, _resource_atom(g), _context_atom(g))
    allow = or_(*(applies(g) for g in groups if g.effect == "Allow"))
    if allow is False:
        return False
    return and_(allow, not_(or_(*(applies(g) for g in groups if g.effect == "Deny"))))


# --- pattern slices ------------------------------------------------------------------------------

class Buckets:
    """Each statement's folded patterns by the service of their literal head (wild: no `:`)."""

    def __init__(self, model: Model):
        self.by_service: dict[int, dict[str, list[str]]] = {}
        self.wild: dict[int, list[tuple[str, str]]] = {}
        for i, st in enumerate(model.statements):
            by, wild = {}, []
            for p in st.patterns:
                head = literal_head(p)
                if ":" in head:
                    by.setdefault(head.split(":", 1)[0], []).append(p)
                else:
                    wild.append((head, p))
            self.by_service[i], self.wild[i] = by, wild

    def in_service(self, i: int, service: str) -> list[str]:
        """The patterns of statement i whose language can meet `service:`·Σ*."""
        prefix = service + ":"
        return (self.by_service[i].get(service, [])
                + [p for head, p in self.wild[i] if prefix.startswith(head)])

    def in_rest(self, i: int, known: set[str]) -> list[str]:
        """The patterns of statement i that can match a string starting with no known `s:`."""
        return ([p for svc, ps in self.by_service[i].items() if svc not in known for p in ps]
                + [p for _, p in self.wild[i]])


def group_regexes(model: Model, policies, select) -> dict[int, str]:
    """Each group's action language within a slice (only groups of the given policies): one
    trie for the entries of its Action statements, a complement for each NotAction one."""
    positive: dict[int, list[str]] = {}
    negative: dict[int, list[str]] = {}
    for i, st in enumerate(model.statements):
        if st.policy not in policies:
            continue
        patterns = select(i)
        if st.negated:
            negative.setdefault(st.group, []).append(action_regex(patterns, True))
        elif patterns:
            positive.setdefault(st.group, []).extend(patterns)
    return {gid: re_union([action_union(positive.get(gid, ()))] + negative.get(gid, []))
            for gid in sorted(set(positive) | set(negative))}


SPLIT_CHARS = 20000  # a sound slice whose query is longer is split per REFINED entry


def small(formula) -> bool:
    """The formula splits in cells whose SMT-LIB2 text is SPLIT_CHARS characters at most."""
    if isinstance(formula, bool):
        return True
    cells = to_cells(formula)
    return cells is not None and sum(len(to_smt(c)) for c in cells) <= SPLIT_CHARS


def may_overlap(pattern: str, entry: str) -> bool:
    """False only when lang(pattern) and lang(entry) are disjoint: their literal heads (or
    tails) differ at a position both fix."""
    hp, he = literal_head(pattern), literal_head(entry)
    tp, te = literal_tail(pattern), literal_tail(entry)
    return ((hp.startswith(he) or he.startswith(hp))
            and (tp.endswith(te) or te.endswith(tp)))


def symbolic_formula(model: Model, regexes: dict[int, str], slice_re: str, prop: str):
    """sound: a in the slice, REFINED allows (a, r), ORIGINAL does not; removes: a in the
    slice, REFINED allows (a, r)."""
    groups = [model.groups[gid] for gid in sorted(regexes)]
    refined = [g for g in groups if g.policy == REFINED]
    original = [g for g in groups if g.policy == ORIGINAL]

    def admits(g):
        return a_in(regexes[g.id])
    formula = and_(a_in(slice_re), allows_formula(refined, admits))
    if prop == SOUND and formula is not False:
        formula = and_(formula, not_(allows_formula(original, admits)))
    return formula


# --- finite action sets --------------------------------------------------------------------------

class Names:
    """A sorted list of folded names, matched by pattern through their literal heads."""

    def __init__(self, names):
        self.sorted = sorted(set(names))
        self.set = set(self.sorted)

    def matching(self, pattern: str) -> set[str]:
        if not has_wildcard(pattern):
            return {pattern} if pattern in self.set else set()
        head = literal_head(pattern)
        lo, hi = prefix_bounds(self.sorted, head)
        return {n for n in self.sorted[lo:hi] if fast_match(pattern, n)}


def admitted_names(model: Model, names: Names, policies) -> dict[int, set[str]]:
    """Per group (of the given policies), the names its action elements admit."""
    out: dict[int, set[str]] = {}
    for st in model.statements:
        if st.policy not in policies:
            continue
        hit: set[str] = set()
        for p in st.patterns:
            hit |= names.matching(p)
        if st.negated:
            hit = names.set - hit
        out.setdefault(st.group, set()).update(hit)
    return out


def vectors(candidates, admitted: dict[int, set[str]]) -> dict[tuple[int, ...], list[str]]:
    """The candidates by membership vector: the sorted ids of the groups that admit them."""
    vec: dict[str, list[int]] = {n: [] for n in candidates}
    for gid in sorted(admitted):
        for n in admitted[gid]:
            if n in vec:
                vec[n].append(gid)
    out: dict[tuple[int, ...], list[str]] = {}
    for n in sorted(vec):
        out.setdefault(tuple(vec[n]), []).append(n)
    return out
