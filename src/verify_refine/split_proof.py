"""What a split into K policies must satisfy besides allowing what the policy allows: the
checks made without a solver, the union the solver compares, and the outcome.

IAM evaluates the policies attached to one principal together: a request is allowed when some
Allow statement of some policy applies and no Deny statement of any policy does. That is the
meaning of ONE policy holding all their statements, so the union of the parts is that policy
(`union_policy`), and the solver proves it allows exactly what the split policy allows
(pipeline.prove_split). Checked here without a solver: every part has the policy's Version
(which fixes how policy variables read), is within the size limit, and holds every Deny
statement that any part holds (its Sid aside); then each part alone holds a subset of the
union's Allow statements and all of its Deny statements, so on its own it allows no more than
the union, that is, than the policy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .inputs.model import Policy
from .jsonout import canonical, dumps
from .report.size import iam_size
from .verdict import Verdict


@dataclass(frozen=True)
class SplitProof:
    """The verdict on a split, the sentence that explains it, and the solver queries run."""

    verdict: Verdict
    explanation: str
    queries: int = 0

    @property
    def proved(self) -> bool:
        return self.verdict is Verdict.PROVED


def version_of(policy: Policy):
    return dict(policy.members).get("Version")


def text_of(policy: Policy) -> str:
    """The policy's text as read (its bytes), else as the tool writes it."""
    if policy.raw is not None:
        return policy.raw.decode("utf-8", errors="replace")
    return dumps(dict(policy.members))


def _deny_keys(policy: Policy) -> set[bytes]:
    return {canonical({k: v for k, v in st.members if k != "Sid"})
            for st in policy.statements if st.effect == "Deny"}


def structure_problems(policy: Policy, parts: list[Policy], limit: int | None) -> list[str]:
    """What makes the split wrong before any solving, one sentence each (empty: none)."""
    if not parts:
        return ["there are no parts"]
    problems = []
    all_denies = set().union(*(_deny_keys(p) for p in parts))
    for k, part in enumerate(parts, 1):
        if version_of(part) != version_of(policy):
            problems.append(f"part {k} has Version {version_of(part)!r}, the policy "
                            f"{version_of(policy)!r}: policy variables would read differently")
        size = iam_size(text_of(part))
        if limit is not None and size > limit:
            problems.append(f"part {k} is {size:,} characters, over the limit of {limit:,}")
        missing = len(all_denies - _deny_keys(part))
        if missing:
            problems.append(f"part {k} lacks {missing} of the Deny statements the other parts "
                            "hold: on its own it could allow what they deny")
    return problems


def union_policy(policy: Policy, parts: list[Policy]) -> Policy:
    """One policy holding every statement of every part as parsed, in order and numbered
    again, with the policy's Version: what IAM evaluates when all the parts are attached to
    one principal. (Built from the parsed statements, not parsed again: nothing is read.)"""
    statements = tuple(dataclasses.replace(st, index=i) for i, st in enumerate(
        st for part in parts for st in part.statements))
    members = (("Statement", [dict(st.members) for st in statements]),)
    if version_of(policy) is not None:
        members = (("Version", version_of(policy)),) + members
    return Policy(members=members, statements=statements, statement_is_list=True,
                  source="<the union of the parts>")
