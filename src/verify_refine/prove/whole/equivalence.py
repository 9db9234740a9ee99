"""Two policies allow exactly the same requests: the whole-policy `sound` query in both directions.

Used for a split (pipeline.prove_split): FIRST is the policy, SECOND the union of its parts.
Sound one way says every request (any action string, any resource, any value of every
condition context and policy variable) that SECOND allows, FIRST allows; the other way the
converse; both together, that they allow the same requests. No unused set is involved.
"""

from __future__ import annotations

import dataclasses

from ...inputs.catalog import Catalog
from ...inputs.findings import UnusedSet
from ...inputs.model import Policy
from .. import solver
from .results import PROVED, REFUTED, UNKNOWN, VerifyResult
from .verifier import _Verifier

NOTHING_UNUSED = UnusedSet((), (), ())


def prove_equal(first: Policy, second: Policy, catalog: Catalog, timeout_s: float,
                names: tuple[str, str] = ("the policy", "the parts")) -> VerifyResult:
    """Proved when FIRST and SECOND allow the same requests; refuted with a request one allows
    and the other does not (re-checked by evaluation); unknown when a query has no answer or
    the difference rests on what a policy variable stands for. `names` name the two policies
    in the explanation."""
    records = []
    for wider, narrower, (wide, narrow) in ((first, second, names),
                                            (second, first, names[::-1])):
        check = _Verifier(wider, narrower, NOTHING_UNUSED, catalog, timeout_s)
        found = check.sound() or check.undecided
        records += check.records
        if found is not None:
            return dataclasses.replace(found, queries=tuple(records),
                                       explanation=_explain(found, narrow, wide))
    unknown = next((r for r in records if r.status != solver.UNSAT), None)
    if unknown is not None:
        reason = f" ({unknown.reason})" if unknown.reason else ""
        return VerifyResult(UNKNOWN, tuple(records), explanation=(
            f"the solver gave no answer for the query [{unknown.slice}]{reason}; nothing is "
            "proved"))
    return VerifyResult(PROVED, tuple(records), explanation=(
        f"proved: {names[1]} allow exactly the requests {names[0]} allows"))


def _explain(found: VerifyResult, allowing: str, refusing: str) -> str:
    """The counterexample in the split's own words (or why it cannot be decided)."""
    if found.status is not REFUTED:
        return f"comparing {allowing} with {refusing}: {found.explanation}"
    line = (f"{allowing} allow{'' if allowing.endswith('s') else 's'} {found.action} on "
            f'resource "{found.resource}", which {refusing} do'
            f"{'' if refusing.endswith('s') else 'es'} not allow")
    if found.conditions:
        line += " when " + ", ".join(f"condition context {text} is {'true' if v else 'false'}"
                                     for text, v in found.conditions)
    return line
