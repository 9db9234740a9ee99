"""`verify-refine list-policies`: the IAM policies a CloudFormation template or Terraform code
declares, each with its place, address, kind, statements and holders; and the refused ones."""

from __future__ import annotations

import sys

from ..errors import InputError
from ..iac.reading import read_sources
from ..jsonout import dumps

NAME = "list-policies"


def add_parser(commands) -> None:
    cmd = commands.add_parser(
        NAME, help="list the IAM policies of a template or Terraform folder",
        description="Print each IAM policy that a CloudFormation template (YAML or JSON; SAM "
                    "and CDK output too) or Terraform code declares: FILE:LINE:COLUMN, its "
                    "address (what refine --policy takes), its kind, its statements and the "
                    "principals that hold it; then each policy that cannot be refined, and "
                    "why. Exit 2 when there is none.")
    cmd.add_argument("source", metavar="FILE|DIR",
                     help="a template, a Terraform file or plan, or a folder of them")
    cmd.add_argument("--format", choices=("text", "json"), default="text",
                     help="json: one object with `policies` and `refusals`")


def run(args) -> int:
    sources = read_sources(args.source)
    policies = [p for s in sources for p in s.policies]
    refusals = [r for s in sources for r in s.refusals]
    if args.format == "json":
        sys.stdout.write(dumps(as_json(sources)) + "\n")
    else:
        for policy in policies:
            holders = ", ".join(policy.holders) or "(not attached in this source)"
            count = len(policy.statements)
            print(f"{policy.place}  {policy.address}  {policy.kind}  {count} statement"
                  f"{'' if count == 1 else 's'}  {holders}")
        for refusal in refusals:
            print(f"{refusal.place}: {refusal.address}: refused: {refusal.message}")
    if not policies and not refusals:
        raise InputError("no IAM policy found", args.source)
    return 0


def as_json(sources) -> dict:
    """The policies and refusals of SOURCES as JSON values."""
    return {
        "policies": [{"path": p.path, "line": p.place.line, "column": p.place.column,
                      "address": p.address, "kind": p.kind, "form": p.form,
                      "statements": len(p.statements), "holders": p.holders,
                      "document": p.document} for s in sources for p in s.policies],
        "refusals": [{"path": r.place.path, "line": r.place.line, "column": r.place.column,
                      "address": r.address, "message": r.message}
                     for s in sources for r in s.refusals],
    }
