"""Counterexamples read back from the solver, made readable, and re-checked by evaluation."""

from __future__ import annotations

import itertools
import re

from ...inputs.catalog import Catalog
from ...inputs.findings import UnusedSet
from ...inputs.model import Policy
from ...spec.glob import fold, matches
from .. import encode, solver
from . import variables
from .model import ORIGINAL, REFINED, Model, Stmt, allows, matches_request
from .results import (
    REFUTED,
    REMOVES,
    SOUND,
    UNKNOWN,
    CounterexampleError,
    QueryRecord,
    VerifyResult,
    explain,
)

BRUTE_FORCE_CONTEXTS = 10  # condition assignments are searched by evaluation up to 2**10


class Rechecker:
    """One verification's inputs, the property evaluated on one request, and the re-check of
    the solver's counterexamples by that evaluation."""

    def __init__(self, original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog,
                 timeout_s: float):
        self.model = Model(original, refined)
        self.unused = unused
        self.catalog = catalog
        self.timeout_s = timeout_s
        self.records: list[QueryRecord] = []
        self.unused_names = {fold(a): a for a in unused.actions}
        self.unused_services = sorted({fold(s) for s in unused.services})
        self.undecided: VerifyResult | None = None  # a counterexample resting on a variable

    # evaluation -----------------------------------------------------------------------------
    def is_unused(self, action: str) -> bool:
        return self.unused.is_unused(action)

    def matching(self, action: str, resource: str) -> list[Stmt]:
        return [s for s in self.model.statements if matches_request(s, action, resource)]

    def violates(self, prop: str, action: str, resource: str, assignment,
                 matching: list[Stmt] | None = None) -> bool:
        """Direct evaluation of the property on one request, with the reference matcher."""
        if matching is None:
            matching = self.matching(action, resource)
        allows_r = allows(matching, REFINED, resource, assignment)
        if prop == SOUND:
            return allows_r and not allows(matching, ORIGINAL, resource, assignment)
        if prop == REMOVES:
            return allows_r and self.is_unused(action)
        return (self.catalog.canonical(action) is not None and not self.is_unused(action)
                and allows(matching, ORIGINAL, resource, assignment) and not allows_r)

    # counterexamples ------------------------------------------------------------------------
    def counterexample(self, prop, slice_text, text, action, resource, uses_action,
                       used) -> VerifyResult:
        readable_action, resource = self.readable(action if uses_action else None, resource)
        if uses_action:
            action = readable_action
        relevant = self.relevant_contexts(action, resource)
        assignment = self.find_assignment(prop, action, resource, relevant, text, uses_action,
                                          used)
        if assignment is None or not self.violates(prop, action, resource, assignment):
            raise CounterexampleError(
                f"{prop} query [{slice_text}] gave action {action!r}, resource {resource!r}, "
                "which does not violate the property when evaluated: a bug in the encoding")
        if uses_action and self.catalog.canonical(action) is None:
            better = self.catalog_witness(prop, action, resource, assignment)
            if better is not None:
                action = better
                relevant = self.relevant_contexts(action, resource)
        shown = self.catalog.canonical(action) or self.unused_names.get(fold(action)) or action
        matching = self.matching(shown, resource)
        assignment, culprit = variables.settle(
            lambda values: self.violates(prop, shown, resource, values, matching),
            matching, resource, relevant, assignment)
        if culprit is not None:  # the violation rests on what a policy variable stands for
            why = variables.undecided_text(*culprit, prop, shown, resource)
            self.undecided = self.undecided or VerifyResult(
                UNKNOWN, tuple(self.records), prop, shown, resource, why)
            return None
        relevant = [c for c in relevant if c not in variables.live_atoms(matching, resource)]
        conditions = tuple((self.model.contexts[c], assignment.get(c, False)) for c in relevant)
        return VerifyResult(REFUTED, tuple(self.records), prop, shown, resource,
                            explain(prop, shown, resource, conditions), conditions)

    def catalog_witness(self, prop, action, resource, assignment, limit: int = 200):
        """A catalog action that violates the property on the same resource with the same
        condition values, when the REFINED entries that admit the solver's string admit one:
        easier to read than the solver's string, and just as re-checked."""
        tried = 0
        for st in self.matching(action, resource):
            if st.policy != REFINED or st.effect != "Allow" or st.negated:
                continue
            if st.context is not None and not assignment.get(st.context, False):
                continue
            for pattern in st.raw_patterns:
                if not matches(pattern, action):
                    continue
                for name in self.catalog.matching(pattern):
                    if tried >= limit:
                        return None
                    tried += 1
                    if self.violates(prop, name, resource, assignment):
                        return name
        return None

    def readable(self, action: str | None, resource: str) -> tuple[str | None, str]:
        """The solver's strings with each odd character (one case folding changes, in the
        action; a control or non-ASCII one) that no pattern mentions replaced by a plain one
        that no pattern mentions either: as `?` and `*` alone can match such characters,
        every membership stays the same. For the action this is also what makes the
        reference matcher, which folds, agree with the solver, which does not fold `a`."""
        if action is not None:
            used = {ch for st in self.model.statements for p in st.patterns for ch in p}
            used |= {ch for name in self.unused_names for ch in name}
            used |= {ch for s in self.unused_services for ch in s + ":"}
            action = _replace_odd(action, used, True)
        used = {ch for st in self.model.statements if st.resource is not None
                for p in st.resource[1] for ch in p}
        return action, _replace_odd(resource, used, False)

    def relevant_contexts(self, action: str, resource: str) -> list[int]:
        matching = self.matching(action, resource)
        return sorted({s.context for s in matching if s.context is not None}
                      | variables.live_atoms(matching, resource))

    def find_assignment(self, prop, action, resource, relevant, text, uses_action, used):
        if len(relevant) <= BRUTE_FORCE_CONTEXTS:
            matching = self.matching(action, resource)
            for values in itertools.product((False, True), repeat=len(relevant)):
                assignment = dict(zip(relevant, values))
                if self.violates(prop, action, resource, assignment, matching):
                    return assignment
            return None
        # Many contexts: ask the solver for the booleans, spelled as a string of 0s and 1s.
        body = text.rsplit("(check-sat)", 1)[0]
        extra = [f"(assert (= r {encode.string_literal(resource)}))"]
        if uses_action:
            extra.append(f"(assert (= a {encode.string_literal(action)}))")
        bits = " ".join(f'(ite c{c} "1" "0")' for c in used)
        extra += ["(declare-const cw String)", f'(assert (= cw (str.++ "" {bits} "")))',
                  "(check-sat)"]
        verdict = solver.solve(body + "\n".join(extra) + "\n", self.timeout_s)
        if verdict.status != solver.SAT:
            return None
        word = decode(verdict.model.get("cw", ""))
        return {c: word[i:i + 1] == "1" for i, c in enumerate(used)}


def _replace_odd(text: str, used: set[str], folding: bool) -> str:
    def odd(ch):
        return ch not in used and (not (ch.isascii() and ch.isprintable())
                                   or (folding and fold(ch) != ch))
    if not any(odd(ch) for ch in text):
        return text
    fresh = next((ch for ch in "xyzqjkvw0123456789-_~abcdefghilmnoprstu" if ch not in used),
                 None)
    if fresh is None:
        return text
    return "".join(fresh if odd(ch) else ch for ch in text)


def decode(value: str) -> str:
    """Z3 model strings spell some characters as \\u{hex} (a backslash before `u{` too)."""
    return re.sub(r"\\u\{([0-9a-fA-F]{1,6})\}", lambda m: chr(int(m.group(1), 16)), value)
