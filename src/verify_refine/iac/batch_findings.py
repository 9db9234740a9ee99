"""Whose findings are which in infrastructure code: each finding of a folder matched to the role or
user a source declares, by the name in its ARN (or the findings file's name), and the unused set
of a policy its holders share: only what every holder left unused."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..batch import findings_match
from ..errors import InputError
from ..inputs import account, findings
from ..inputs.findings import UnusedSet
from ..spec.glob import fold
from .model import Principal


@dataclass
class Holder:
    """A principal of the source with findings: where they are (a file, or its own part of a
    file about several), the unused set read from them, or why they cannot be used."""

    principal: Principal
    findings: Path | None = None
    part: bytes | None = None
    arn: str = ""
    unused: UnusedSet | None = None
    problem: str = ""
    warnings: list[str] = field(default_factory=list)


def arn_principal(arn: str) -> tuple[str, str]:
    """(kind, name) of the principal an IAM ARN names: arn:aws:iam::ACCOUNT:role/PATH/NAME."""
    kind, _, rest = arn.split(":", 5)[-1].partition("/")
    return kind, rest.rsplit("/", 1)[-1]


def match(folder: Path, principals: list[Principal]) -> tuple[dict[str, Holder], list[str]]:
    """The holders (by address) of the principals declared by a plain name that have findings
    in FOLDER, matched as batch matches an account's (findings_match), by the ARN's kind and
    name or else by the file's name; and notes on the findings used by none (findings about a
    principal the source does not declare are listed, not an error)."""
    arns = sorted(findings_match.resources(folder))
    stand_ins = [account.Principal(name=arn_principal(arn)[1], kind=arn_principal(arn)[0],
                                   arn=arn) for arn in arns]
    named = {(p.kind, p.name) for p in stand_ins}
    declared = [p for p in principals if p.name and p.kind in ("role", "user")]
    stand_ins += [account.Principal(name=p.name, kind=p.kind, arn=f"source:{p.address}")
                  for p in declared if (p.kind, p.name) not in named]
    notes = findings_match.match_findings(folder, stand_ins)
    holders: dict[str, Holder] = {}
    for who in declared:
        found = [s for s in stand_ins if (s.kind, s.name) == (who.kind, who.name)
                 and (s.findings is not None or s.problem)]
        if not found:
            continue
        first = found[0]
        problem = first.problem or ("findings about several principals of this name: "
                                    + ", ".join(s.arn for s in found) if len(found) > 1
                                    else "")
        holders[who.address] = Holder(who, first.findings, first.findings_part,
                                      first.arn if first.arn.startswith("arn:") else "",
                                      problem=problem)
    kinds_names = {(p.kind, p.name) for p in declared}
    notes += [f"`{s.findings.name}`: findings about the {s.kind} `{s.name}` ({s.arn}), which "
              "the source does not declare by that name; not used"
              for s in stand_ins if s.findings is not None
              and (s.kind, s.name) not in kinds_names]
    return holders, notes


def load(holder: Holder, catalog, args) -> None:
    """Read HOLDER's unused set by refine's rules (an open finding unless --include-resolved,
    something unused unless --allow-nothing-unused); a problem is kept on the holder."""
    if holder.problem:
        return
    try:
        if holder.part is None:
            name = str(holder.findings)
            unused, warnings = findings.load(name, catalog, args.unused_since)
        else:
            name = f"{holder.findings} (its findings about {holder.arn})"
            unused, warnings = findings.from_bytes(holder.part, name, catalog,
                                                   args.unused_since)
        findings.require_open(unused, name, args.include_resolved,
                              located=holder.part is None)
        findings.require_something(unused, name, args.allow_nothing_unused)
    except InputError as exc:
        holder.problem = str(exc)
        return
    holder.unused, holder.warnings = unused, warnings


def shared_unused(sets: list[UnusedSet]) -> list[str]:
    """What every one of SETS leaves unused, as patterns (`svc:Action`, `svc:*`): a service
    wholly unused by all, and each action named by one that all the others leave unused too
    (named, or by its whole service). An action is removable from a shared policy only when
    no holder uses it."""
    services = set.intersection(*({fold(s) for s in u.services} for u in sets))
    actions = {a for u in sets for a in u.actions
               if all(other.is_unused(a) for other in sets)
               and fold(a).split(":", 1)[0] not in services}
    return sorted(actions, key=fold) + [f"{s}:*" for s in sorted(services)]


def shared_text(holders: list[Holder]) -> bytes:
    """The findings file of a policy held by several: the shared unused patterns as a JSON
    list, which refine, check and the proof kernel all read."""
    names = shared_unused([h.unused for h in holders])
    return (json.dumps(names, indent=1) + "\n").encode("utf-8")
