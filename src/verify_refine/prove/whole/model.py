"""Both policies as statements and groups, and the request semantics that re-checks results.

Semantics (docs/DESIGN.md section 1, `verify`). A request is a pair (action a, resource r).
A statement applies to it when its action element admits a (Action: a matches some entry,
NotAction: none; case-insensitive globs), its resource element admits r (Resource: some entry
matches, NotResource: none; case-SENSITIVE globs; no resource element: every r; under Version
2012-10-17 an entry holding a policy variable `${...}` is read as variables.py says), and its
condition context holds. A condition context is the canonical JSON of the statement's
Condition together with its Principal/NotPrincipal: one opaque boolean shared by both
policies (none at all: true). A policy allows a request when some Allow statement applies and
no Deny statement does. The properties:

- sound: every request REFINED allows, ORIGINAL allows (all action strings, all resources,
  all condition values);
- removes: REFINED allows no request whose action is unused (an unused name, or any string
  starting with `svc:` for an unused service);
- complete: every request ORIGINAL allows whose action is a catalog action not unused,
  REFINED allows too.

Statements with the same policy, effect, resource element and condition context are merged
into one group (the union of their action languages), which is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ... import jsonout
from ...inputs.model import Policy, Statement
from ...spec.glob import STAR, fold, matches
from . import variables

ORIGINAL, REFINED = "original", "refined"

_CONTEXT_KEYS = ("Condition", "Principal", "NotPrincipal")


@dataclass(frozen=True)
class Stmt:
    policy: str
    index: int
    effect: str
    negated: bool  # NotAction
    raw_patterns: tuple[str, ...]  # as written
    patterns: tuple[str, ...]  # folded, without duplicates
    resource: tuple[str, tuple[str, ...]] | None  # (Resource|NotResource, sorted patterns)
    context: int | None  # condition context id, None when unconditional
    group: int = -1
    element: variables.ResourceElement | None = None  # the resource element as IAM reads it


@dataclass
class Group:
    id: int
    policy: str
    effect: str
    resource: tuple[str, tuple[str, ...]] | None
    context: int | None
    element: variables.ResourceElement | None
    members: list[Stmt] = field(default_factory=list)


def _resource_key(st: Statement):
    """The resource element as a comparable key; None when it admits every resource; False
    when it admits none (NotResource "*")."""
    for kind in ("Resource", "NotResource"):
        value = st.member(kind)
        if value is None:
            continue
        values = (value,) if isinstance(value, str) else tuple(value)
        everything = any(v and set(v) == {STAR} for v in values)
        if kind == "Resource":
            return None if everything else (kind, tuple(sorted(set(values))))
        return False if everything else (kind, tuple(sorted(set(values))))
    return None


def _context_text(st: Statement) -> str | None:
    parts = {k: v for k, v in st.members if k in _CONTEXT_KEYS}
    return jsonout.canonical(parts).decode("utf-8") if parts else None


class Model:
    """Both policies as statements and groups, with the shared condition contexts."""

    def __init__(self, original: Policy, refined: Policy):
        self.contexts: list[str] = []  # condition contexts and policy-variable booleans
        self.context_ids: dict[str, int] = {}
        self.statements: list[Stmt] = []
        self.groups: list[Group] = []
        group_ids: dict[tuple, int] = {}
        for name, policy in ((ORIGINAL, original), (REFINED, refined)):
            subst = variables.substitutes(policy)
            for st in policy.statements:
                resource = _resource_key(st)
                if resource is False:
                    continue  # NotResource "*": applies to no request
                text = _context_text(st)
                ctx = None if text is None else self.atom(variables.context_key(text, subst))
                element = resource and variables.element(resource, subst, self.atom)
                raw = tuple(p.text for p in st.patterns)
                folded = tuple(dict.fromkeys(fold(p) for p in raw))
                key = (name, st.effect, resource, ctx)
                gid = group_ids.get(key)
                if gid is None:
                    gid = group_ids[key] = len(self.groups)
                    self.groups.append(Group(gid, name, st.effect, resource, ctx, element))
                s = Stmt(name, st.index, st.effect, st.action_key == "NotAction", raw, folded,
                         resource, ctx, gid, element)
                self.statements.append(s)
                self.groups[gid].members.append(s)

    def atom(self, text: str) -> int:
        """The id of the opaque boolean named by text (one per distinct text)."""
        if text not in self.context_ids:
            self.context_ids[text] = len(self.contexts)
            self.contexts.append(text)
        return self.context_ids[text]

    def groups_of(self, policy: str) -> list[Group]:
        return [g for g in self.groups if g.policy == policy]


def resource_matches(pattern: str, text: str) -> bool:
    """Case-sensitive glob matching for resources (`*` any run, `?` one character)."""
    return variables.token_matches(variables.glob_tokens(pattern), text)


def matches_request(st: Stmt, action: str, resource: str) -> bool:
    """The statement's action element admits the action and its resource element can admit the
    resource (for some value of its policy variables; allows decides with their values)."""
    hit = any(matches(p, action) for p in st.raw_patterns)
    return hit != st.negated and (st.element is None or st.element.admits(resource, None))


def allows(matching: list[Stmt], policy: str, resource: str,
           assignment: dict[int, bool]) -> bool:
    """The policy allows the request, given its statements that can admit it and the value of
    each condition context and policy-variable boolean: some Allow applies and no Deny."""
    live = [s for s in matching if s.policy == policy
            and (s.context is None or assignment.get(s.context, False))
            and (s.element is None or s.element.admits(resource, assignment))]
    return (any(s.effect == "Allow" for s in live)
            and not any(s.effect == "Deny" for s in live))
