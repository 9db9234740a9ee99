"""Which policies of infrastructure code a refine is about: the one `--policy` names, or every
policy held by the principal the findings are about (by its name in the ARN, or `--role`)."""

from __future__ import annotations

from ..errors import InputError, UsageError
from ..files import STDIN, read_input
from ..inputs.finding_status import by_resource
from ..inputs.jsontext import load_json
from .model import FoundPolicy, Principal, Source

# The kinds of principal an IAM ARN names, by the word after `:iam::ACCOUNT:`.
_ARN_KINDS = {"role": "role", "user": "user", "group": "group"}


def by_address(sources: list[Source], address: str) -> tuple[Source, FoundPolicy]:
    """The policy at ADDRESS (or an alias the reader gave it); a usage error listing the
    addresses there are when there is none."""
    for source in sources:
        for policy in source.policies:
            if address == policy.address or address in policy.style.get("aliases", ()):
                return source, policy
    known = [p.address for s in sources for p in s.policies]
    refused = [r for s in sources for r in s.refusals if r.address == address]
    if refused:
        raise InputError(f"`{address}` is refused: {refused[0].message}",
                         refused[0].place.path, refused[0].place.line, refused[0].place.column)
    paths = sorted({s.path for s in sources})
    raise UsageError(f"no policy `{address}`"
                     + (f" in {', '.join(paths)}" if len(paths) > 1 else "") + "; there "
                     + ("are: " + ", ".join(known) if known else "is none"),
                     paths[0] if len(paths) == 1 else None)


def finding_principal(findings_path: str) -> tuple[str, str] | None:
    """(kind, name) of the principal the findings are about, from its ARN
    (arn:aws:iam::ACCOUNT:role/PATH/NAME), or None when the findings name none."""
    if findings_path == STDIN:
        return None
    data = read_input(findings_path, "findings")
    try:
        groups = by_resource(load_json(data, findings_path))
    except InputError:
        return None  # a text list of actions: it names no principal
    arns = [arn for arn in groups or {} if arn]
    if not arns:
        return None
    kind_and_name = arns[0].split(":", 5)[-1]
    kind, _, rest = kind_and_name.partition("/")
    return _ARN_KINDS.get(kind, kind), rest.rsplit("/", 1)[-1]


def principal(sources: list[Source], role: str | None, findings_path: str) -> Principal:
    """The principal whose policies to refine: `--role` (a logical id or a name), else the
    one whose name the findings' ARN gives; a usage error saying what to give otherwise."""
    principals = [p for s in sources for p in s.principals]
    if role is not None:
        found = [p for p in principals if role in (p.address, p.name)]
        if not found:
            raise UsageError(f"refine: --role `{role}`: no such principal; there are: "
                             + (", ".join(_shown(p) for p in principals) or "none"))
        return found[0]
    named = finding_principal(findings_path)
    if named is None:
        raise UsageError("refine: the findings name no principal: give --policy ADDRESS or "
                         "--role LOGICAL_ID")
    kind, name = named
    found = [p for p in principals if p.kind == kind and p.name == name]
    if not found:
        raise UsageError(f"refine: the findings are about the {kind} `{name}`, which no "
                         f"{kind} of the template names (by a plain {kind.capitalize()}Name): "
                         "give --role LOGICAL_ID or --policy ADDRESS; principals: "
                         + (", ".join(_shown(p) for p in principals) or "none"))
    return found[0]


def held_by(sources: list[Source], who: Principal) -> list[tuple[Source, FoundPolicy]]:
    """Every policy WHO holds: inline in it, or attached to it."""
    return [(s, p) for s in sources for p in s.policies if who.address in p.holders]


def _shown(who: Principal) -> str:
    return who.address + (f" ({who.name})" if who.name else "")
