"""Policy variables (`${...}`) in Resource and NotResource as the whole-policy verifier reads them.

The rule (AWS IAM User Guide, "IAM policy elements: Variables and tags" and "IAM JSON policy
elements: Version"): only a policy whose Version is 2012-10-17 substitutes variables; under
2008-10-17, or with no Version (which means 2008-10-17), `${aws:username}` is literal text.
Under 2012-10-17, `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$` (not
wildcards), and any other `${...}` (`${key}`, `${key, 'default'}`) is replaced by a value of the
request context, or by its default; a variable with no value makes the entry match nothing
(and "might cause the entire statement to be invalid": see ResourceElement).

A resource entry holding only the three special variables is decided exactly. An entry holding
any other variable is an opaque boolean "the request's resource matches this entry after
substitution", keyed by the entry's text and shared by both policies (the same request gives
it the same value). Whatever the variables stand for, a matching resource also matches the
entry's skeleton (each variable replaced by `*`, each special one by `?`), so the boolean
implies membership in the skeleton and is otherwise free: a superset of the worlds IAM can
produce, so a proof holds for every value. A counterexample is trusted only when it violates
the property whatever value these booleans take; else the verdict is "cannot decide".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .. import encode

SUBSTITUTING_VERSION = "2012-10-17"
SPECIAL = {"${*}": "*", "${?}": "?", "${$}": "$"}
STAR, ONE = ("*",), ("?",)  # wildcard tokens; a literal character is a one-character str
LIMIT = 10  # at most 2**LIMIT values of the booleans are tried by evaluation


def substitutes(policy) -> bool:
    """The policy's Version makes IAM substitute policy variables."""
    return any(k == "Version" and v == SUBSTITUTING_VERSION for k, v in policy.members)


def glob_tokens(pattern: str) -> tuple:
    """A plain glob as tokens: `*` and `?` are wildcards, every other character literal."""
    return tuple(STAR if ch == "*" else ONE if ch == "?" else ch for ch in pattern)


def token_matches(tokens: tuple, text: str) -> bool:
    """Case-sensitive matching of a whole string against tokens (a position automaton)."""
    def closure(states):
        out, todo = set(states), list(states)
        while todo:
            i = todo.pop()
            if i < len(tokens) and tokens[i] is STAR and i + 1 not in out:
                out.add(i + 1)
                todo.append(i + 1)
        return out
    states = closure({0})
    for ch in text:
        states = closure({i if tokens[i] is STAR else i + 1 for i in states
                          if i < len(tokens) and (tokens[i] in (STAR, ONE) or tokens[i] == ch)})
        if not states:
            return False
    return len(tokens) in states


def token_regex(tokens: tuple) -> str:
    """The SMT-LIB2 regex of tokens, case kept."""
    parts, run = [], []
    for t in tokens + (None,):
        if isinstance(t, str):
            run.append(t)
            continue
        if run:
            parts.append(f"(str.to_re {encode.string_literal(''.join(run))})")
            run = []
        if t is not None:
            parts.append("re.all" if t is STAR else "re.allchar")
    if not parts:
        return '(str.to_re "")'
    return parts[0] if len(parts) == 1 else f"(re.++ {' '.join(parts)})"


def _variable_end(text: str, start: int) -> int | None:
    """The index just past the variable that starts at `${` in text[start], or None when it does
    not follow the documented form `${key}` or `${key, 'default'}` ('' is a quote)."""
    i = start + 2
    while i < len(text) and text[i] not in ",}${'":
        i += 1
    if i == start + 2 or i == len(text) or text[i] not in ",}":
        return None
    if text[i] == "}":
        return i + 1
    i += 1
    while i < len(text) and text[i] == " ":
        i += 1
    if i == len(text) or text[i] != "'":
        return None
    i += 1
    while i < len(text):
        if text[i] == "'" and text[i + 1:i + 2] == "'":
            i += 2
        elif text[i] == "'":
            i += 1
            while i < len(text) and text[i] == " ":
                i += 1
            return i + 1 if i < len(text) and text[i] == "}" else None
        else:
            i += 1
    return None


def parse(pattern: str) -> tuple[tuple, str | None, str]:
    """A resource entry of a 2012-10-17 policy: its tokens when it holds no variable other than
    `${*}`, `${?}`, `${$}` (else None), its first other variable as written, and its skeleton
    (a glob every substitution result is within; an entry whose variable is not in the
    documented form is cut there and ends in `*`)."""
    tokens, skeleton, first, i = [], [], None, 0
    while i < len(pattern):
        special = SPECIAL.get(pattern[i:i + 4])
        if special is not None:
            tokens.append(special)
            skeleton.append("$" if special == "$" else "?")
            i += 4
        elif pattern.startswith("${", i):
            end = _variable_end(pattern, i)
            if first is None:
                first = pattern[i:end] if end else pattern[i:]
            skeleton.append("*")
            if end is None:
                break
            i = end
        else:
            tokens.extend(glob_tokens(pattern[i]))
            skeleton.append(pattern[i])
            i += 1
    return (None if first else tuple(tokens)), first, "".join(skeleton)


@dataclass(frozen=True)
class VariableEntry:
    """An entry holding a policy variable: its opaque boolean and its skeleton."""

    atom: int
    pattern: str
    variable: str
    skeleton: str


@dataclass(frozen=True)
class ResourceElement:
    """A statement's Resource or NotResource under its policy's Version: plain globs (for the
    solver's trie), entries decided exactly through literal tokens, variable entries, and,
    when there are variable entries, the boolean `in_effect`.

    AWS documents that an entry whose variable has no value matches nothing, and also that a
    variable AWS cannot resolve "might cause the entire statement to be invalid". Both
    readings are covered: the element admits a resource when (in_effect and an entry without
    variables matches) or a variable entry's boolean holds (Resource), or when in_effect and
    no entry matches (NotResource). Reading one is in_effect true; reading two, false."""

    kind: str
    globs: tuple[str, ...]
    literal: tuple[tuple, ...]
    variables: tuple[VariableEntry, ...]
    in_effect: int | None

    def regexes(self) -> list[str]:
        return [token_regex(t) for t in self.literal]

    def live(self, resource: str) -> list[VariableEntry]:
        """The variable entries whose boolean can be true for this resource."""
        return [v for v in self.variables if token_matches(glob_tokens(v.skeleton), resource)]

    def definite(self, resource: str) -> bool:
        """An entry without a policy variable matches the resource."""
        return (any(token_matches(glob_tokens(p), resource) for p in self.globs)
                or any(token_matches(t, resource) for t in self.literal))

    def atoms(self, resource: str) -> set[int]:
        """The booleans the element's verdict on this resource can depend on."""
        live = {v.atom for v in self.live(resource)}
        if self.in_effect is not None and (self.kind == "NotResource"
                                           or self.definite(resource)):
            live.add(self.in_effect)
        return live

    def admits(self, resource: str, values: dict[int, bool] | None) -> bool:
        """The element admits the resource given the booleans' values (None: for some)."""
        hit = self.definite(resource)
        if values is None:
            return (hit or bool(self.live(resource))) if self.kind == "Resource" else not hit
        in_effect = self.in_effect is None or values.get(self.in_effect, False)
        hit = (hit and in_effect) or any(values.get(v.atom, False) for v in self.live(resource))
        return hit if self.kind == "Resource" else in_effect and not hit


def element(resource_key: tuple[str, tuple[str, ...]], substituting: bool,
            atom_id) -> ResourceElement:
    """The element of a resource key (kind, patterns); atom_id(text) numbers the booleans."""
    kind, patterns = resource_key
    globs, literal, variables = [], [], []
    for p in patterns:
        if not substituting or "${" not in p:
            globs.append(p)
            continue
        tokens, first, skeleton = parse(p)
        if tokens is not None:
            literal.append(tokens)
        else:
            text = f'policy variables: the resource matches "{p}" after substitution'
            variables.append(VariableEntry(atom_id(text), p, first, skeleton))
    in_effect = None
    if variables:
        text = f"policy variables: the statement with {kind} {list(patterns)} is in effect"
        in_effect = atom_id(text)
    return ResourceElement(kind, tuple(globs), tuple(literal), tuple(variables), in_effect)


def context_key(text: str, substituting: bool) -> str:
    """A condition context's key: the same text means another condition when IAM substitutes
    the variables in it, so a Version change around a variable is never the same boolean."""
    if substituting and "${" in text:
        return f"(variables substituted) {text}"
    return text


def live_atoms(statements, resource: str) -> set[int]:
    """The policy-variable booleans of these statements that can be true for this resource."""
    return {a for s in statements if s.element for a in s.element.atoms(resource)}


def settle(violates, matching, resource: str, relevant: list[int], assignment: dict):
    """A counterexample's trust: (condition values under which `violates` holds whatever the
    policy variables stand for, None), or (None, (statement, entry)) naming the variable the
    violation rests on. `matching`: the statements that can admit the request."""
    atoms = sorted(live_atoms(matching, resource))
    if not atoms:
        return assignment, None
    found = robust_values(violates, [c for c in relevant if c not in atoms], atoms, assignment)
    if found is not None:
        return found, None
    atom = blame(violates, atoms, assignment)
    return None, next((s, v) for s in matching if s.element
                      for v in s.element.variables if atom in (v.atom, s.element.in_effect))


def robust_values(violates, contexts: list[int], atoms: list[int], first: dict):
    """Values of the condition contexts under which `violates(values)` holds whatever the
    variable booleans `atoms` are: the solver's values first, then (when few) every other.
    None when there are none, or too many booleans to try."""
    if len(atoms) > LIMIT:
        return None
    bases = [first]
    if len(contexts) + len(atoms) <= LIMIT:
        bases += [dict(zip(contexts, vs))
                  for vs in itertools.product((False, True), repeat=len(contexts))]
    for base in bases:
        if all(violates({**base, **dict(zip(atoms, vs))})
               for vs in itertools.product((False, True), repeat=len(atoms))):
            return base
    return None


def blame(violates, atoms: list[int], assignment: dict) -> int:
    """The variable boolean whose flip, from the solver's values, ends the violation (else the
    first): the one the counterexample depends on."""
    for atom in atoms:
        if not violates({**assignment, atom: not assignment.get(atom, False)}):
            return atom
    return atoms[0]


def undecided_text(statement, entry: VariableEntry, prop: str, action: str,
                   resource: str) -> str:
    """The one-line reason a counterexample that rests on a policy variable is not trusted."""
    return (f"cannot decide: policy variable {entry.variable} in {statement.element.kind} "
            f'"{entry.pattern}" (statement {statement.index + 1} of '
            f"{statement.policy.upper()}): {prop} depends on what it "
            f'stands for (action {action}, resource "{resource}")')
