"""IAM Access Analyzer: the account's unused-access analyzer, a principal's unused-permission
findings (`list-findings-v2`, then `get-finding-v2` for each, every page) and, on request, the
recommendation AWS generates for each finding."""

from __future__ import annotations

from ..errors import UsageError
from .session import AWS_ERRORS, Aws, describe, every_page, poll

TYPES = ("ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS")
TOKEN = ("nextToken", "nextToken")
CREATE = ("create one with 'aws accessanalyzer create-analyzer --analyzer-name unused-access "
          "--type ACCOUNT_UNUSED_ACCESS' (docs/AWS.md), or use --source access-advisor")


def choose(aws: Aws, wanted: str | None) -> dict:
    """The active unused-access analyzer of the region: the one named by WANTED (its ARN), else
    the only one (a usage error when there is none, or several)."""
    client = aws.client("accessanalyzer")
    found: list[dict] = []
    try:
        for kind in TYPES:
            found += every_page(client.list_analyzers, {"type": kind}, TOKEN,
                                ("analyzers",))["analyzers"]
    except AWS_ERRORS as exc:
        raise UsageError(f"pull: cannot list the Access Analyzer analyzers: {describe(exc)}"
                         ) from None
    active = [a for a in found if a.get("status") == "ACTIVE"]
    if wanted is not None:
        chosen = [a for a in found if a.get("arn") == wanted]
        if not chosen:
            raise UsageError(f"pull: --analyzer-arn `{wanted}` is no unused-access analyzer of "
                             f"{aws.region} (they are: {_names(found) or 'none'})")
        if chosen[0].get("status") != "ACTIVE":
            raise UsageError(f"pull: analyzer `{wanted}` is {chosen[0].get('status')}, not "
                             "ACTIVE")
        return chosen[0]
    if not active:
        raise UsageError(f"pull: no active unused-access analyzer in {aws.region}: {CREATE}")
    if len(active) > 1:
        raise UsageError(f"pull: {len(active)} unused-access analyzers in {aws.region} "
                         f"({_names(active)}): choose one with --analyzer-arn")
    return active[0]


def _names(analyzers: list[dict]) -> str:
    return ", ".join(str(a.get("arn")) for a in analyzers)


def findings(aws: Aws, analyzer: str, arn: str) -> list[dict]:
    """The principal's ACTIVE UnusedPermission findings, each with every page of its
    details, as `aws accessanalyzer get-finding-v2` prints them."""
    client = aws.client("accessanalyzer")
    criteria = {"resource": {"eq": [arn]}, "findingType": {"eq": ["UnusedPermission"]},
                "status": {"eq": ["ACTIVE"]}}
    listed = every_page(client.list_findings_v2, {"analyzerArn": analyzer, "filter": criteria},
                        TOKEN, ("findings",))["findings"]
    return [every_page(client.get_finding_v2, {"analyzerArn": analyzer, "id": item["id"]},
                       TOKEN, ("findingDetails",))
            for item in listed]


def recommendation(aws: Aws, analyzer: str, finding: str, wait: float) -> dict:
    """`generate-finding-recommendation`, then `get-finding-recommendation` until it is no
    longer IN_PROGRESS (at most WAIT seconds), with every page of its steps."""
    client = aws.client("accessanalyzer")
    params = {"analyzerArn": analyzer, "id": finding}
    client.generate_finding_recommendation(**params)
    done = poll(lambda: client.get_finding_recommendation(**params), lambda r: r.get("status"),
                wait, aws.stop, f"the recommendation for finding {finding}")
    return every_page(client.get_finding_recommendation, params, TOKEN, ("recommendedSteps",),
                      first=done)


def failure(answer: dict, kind: str) -> str | None:
    """Why a recommendation is not usable (FAILED, with AWS's error), else None."""
    status = answer.get("status", answer.get("Status"))
    if status == "SUCCEEDED":
        return None
    error = answer.get("error") or answer.get("Error") or {}
    code = error.get("code", error.get("Code", "no code"))
    message = error.get("message", error.get("Message", "no message"))
    return f"{kind} has status {status} ({code}: {message})"

