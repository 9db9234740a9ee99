"""The fitted obligation: the refined policy's IAM size is at most the claimed target."""

from __future__ import annotations

from ..inputs.model import Policy
from ..jsonout import canonical
from ..verdict import FITTED
from . import encode as enc
from .plan import Obligation, Plan, found_without_solver, query

WIDTH = 12  # digits: sizes written at one width compare as strings as they do as numbers


def claimed_target(hints, out: Plan) -> int | None:
    """The size target a fitted refinement's hints claim (None: they claim minimality); a
    malformed claim is a problem of the plan."""
    claim = hints.get("fit") if isinstance(hints, dict) else None
    if claim is None:
        return None
    target = claim.get("target") if isinstance(claim, dict) else None
    if type(target) is not int or not 0 < target < 10 ** WIDTH or set(claim) != {"target"}:
        out.problems.append(found_without_solver(None, "the fit claim must be "
                                                 '{"target": a positive whole number}', FITTED))
        return None
    return target


def iam_size(policy: Policy) -> int:
    """The characters of the policy's JSON that IAM counts: all but whitespace."""
    return sum(1 for ch in canonical(dict(policy.members)).decode("utf-8") if not ch.isspace())


def add(out: Plan, refined: Policy, target: int) -> None:
    """Size <= target, as an unsat query over two numerals written as equal-width strings
    (target < size has no solution); a size over the target is refuted without a solver."""
    size = iam_size(refined)
    if size > target:
        out.problems.append(found_without_solver(
            None, f"the refined policy is {size:,} characters, over the target of "
                  f"{target:,}", FITTED))
        return
    body = [f"(assert (str.< {enc.string_literal(f'{target:0{WIDTH}d}')} "
            f"{enc.string_literal(f'{size:0{WIDTH}d}')}))"]
    out.obligations.append(Obligation("policy/fitted/size", FITTED, 0, "size", "unsat",
                                      query(body)))
