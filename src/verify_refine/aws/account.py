"""The account `pull` works on: who the caller is, every page of `iam
get-account-authorization-details` (the file `batch` reads), and the principals to fetch for."""

from __future__ import annotations

import re

from ..errors import UsageError
from ..inputs.account import Principal, read_account
from .session import AWS_ERRORS, Aws, as_json, describe, every_page

PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/(?:[^/]+/)*[^/]+")
DETAIL_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def check_arn(arn: str) -> None:
    """Usage error unless ARN is a role's or a user's."""
    if not PRINCIPAL_ARN.fullmatch(arn):
        raise UsageError(f"pull: `{arn}` is not the ARN of an IAM role or user (expected "
                         "arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)")


def caller(aws: Aws) -> dict:
    """`sts get-caller-identity`: the account and the identity the credentials belong to."""
    try:
        return aws.client("sts").get_caller_identity()
    except AWS_ERRORS as exc:
        raise UsageError(f"pull: cannot use the AWS credentials: {describe(exc)}") from None


def authorization_details(aws: Aws) -> bytes:
    """Every page of `aws iam get-account-authorization-details`, merged as the AWS CLI
    merges them, as the JSON file batch reads."""
    iam = aws.client("iam")
    try:
        merged = every_page(iam.get_account_authorization_details, {}, ("Marker", "Marker"),
                            DETAIL_LISTS, more="IsTruncated")
    except AWS_ERRORS as exc:
        raise UsageError(f"pull: cannot read the account's policies: {describe(exc)} (pull "
                         "needs iam:GetAccountAuthorizationDetails; docs/AWS.md)") from None
    merged.pop("IsTruncated", None)
    return as_json(merged)


def principals(details: bytes, source: str) -> tuple[list[Principal], dict]:
    """The roles and users of the dump, read as batch reads it, and how many roles, users and
    groups the account has."""
    account = read_account(details, source)
    everyone = account.principals
    return everyone, {"roles": sum(1 for w in everyone if w.kind == "role"),
                      "users": sum(1 for w in everyone if w.kind == "user"),
                      "groups": account.groups}


def choose(everyone: list[Principal], arn: str | None) -> list[Principal]:
    """Everyone, or the one whose ARN is ARN (a usage error when there is none)."""
    if arn is None:
        return everyone
    chosen = [who for who in everyone if who.arn == arn]
    if not chosen:
        raise UsageError(f"pull: no role or user of the account has the ARN `{arn}` (IAM "
                         "ARNs hold the path: arn:aws:iam::ACCOUNT:role/PATH/NAME)")
    return chosen
