"""AWS Security Hub: a principal's open unused-permission findings (`get-findings-v2` on the
resource, every page) and, on request, the policy Security Hub recommends for each."""

from __future__ import annotations

from ..inputs import securityhub as reader
from .session import Aws, FetchError, every_page, poll

TOKEN = ("NextToken", "NextToken")


def findings(aws: Aws, arn: str) -> list[dict]:
    """The OCSF findings about ARN that are unused-permission findings and still open (the
    others are dropped here, by the rules the findings reader applies)."""
    client = aws.client("securityhub")
    on_resource = {"CompositeFilters": [{"StringFilters": [{
        "FieldName": "resources.uid", "Filter": {"Value": arn, "Comparison": "EQUALS"}}]}]}
    found = every_page(client.get_findings_v2, {"Filters": on_resource}, TOKEN,
                       ("Findings",)).get("Findings") or []
    return [item for item in found if reader.is_finding(item)
            and reader.is_unused_permission(item) and reader.principal(item) == arn
            and str(item.get("status", "")).upper() not in reader.CLOSED]


def recommendation(aws: Aws, finding: dict, wait: float) -> dict:
    """`generate-recommended-policy-v2` for the finding (by its metadata.uid), then
    `get-recommended-policy-v2` until no longer IN_PROGRESS, with every page of its steps."""
    client = aws.client("securityhub")
    uid = (finding.get("metadata") or {}).get("uid")
    if not isinstance(uid, str) or not uid:
        raise FetchError("the finding has no metadata.uid to ask its recommended policy by")
    params = {"MetadataUid": uid}
    client.generate_recommended_policy_v2(**params)
    done = poll(lambda: client.get_recommended_policy_v2(**params), lambda r: r.get("Status"),
                wait, aws.stop, f"the recommended policy for finding {uid}")
    return every_page(client.get_recommended_policy_v2, params, TOKEN,
                      ("RecommendationSteps",), first=done)
