"""Time refine over a Terraform file with N policies of one role, and batch over a template with
N roles each with its own findings (docs/PERFORMANCE.md, issue 14).

    python benchmarks/iac_batch_time.py --terraform 50   # refine FOLDER --in-place, N policies
    python benchmarks/iac_batch_time.py --batch 50       # batch TEMPLATE, N principals
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from verify_refine.cli import main as cli

UNUSED = ["s3:PutObject", "sqs:DeleteQueue", "dynamodb:*"]


def terraform_policies(count: int, folder: Path) -> None:
    """main.tf: one role `app` and COUNT aws_iam_policy resources (jsonencode, three statements
    each, an expression in Resource) attached to it."""
    parts = ['resource "aws_iam_role" "app" {\n  name = "app"\n  assume_role_policy = "{}"\n}\n']
    for i in range(count):
        parts.append(f'''
resource "aws_iam_policy" "p{i}" {{
  name = "p{i}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{ Effect = "Allow", Action = ["s3:Get*", "s3:PutObject"], Resource = "${{var.bucket}}/*" }},
      {{ Effect = "Allow", Action = ["sqs:SendMessage", "sqs:DeleteQueue"], Resource = "*" }},
      {{ Effect = "Allow", Action = "dynamodb:DeleteTable", Resource = "*" }},
    ]
  }})
}}

resource "aws_iam_role_policy_attachment" "p{i}" {{
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.p{i}.arn
}}
''')
    (folder / "main.tf").write_text("".join(parts))


def principals_template(count: int, folder: Path) -> Path:
    """A JSON template with COUNT roles, each with one inline policy of three statements, and
    a get-finding-v2 file per role in folder/findings."""
    resources = {}
    (folder / "findings").mkdir()
    for i in range(count):
        resources[f"Role{i}"] = {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": f"role{i}", "AssumeRolePolicyDocument": {}, "Policies": [{
                "PolicyName": "work", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["s3:Get*", "s3:PutObject"],
                     "Resource": {"Fn::Sub": "arn:aws:s3:::b-${AWS::AccountId}/*"}},
                    {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:DeleteQueue"],
                     "Resource": "*"},
                    {"Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": "*"}]}}]}}
        details = [{"unusedPermissionDetails": {"serviceNamespace": p.split(":")[0]} | (
            {} if p.endswith(":*") else {"actions": [{"action": p.split(":")[1]}]})}
            for p in UNUSED]
        (folder / "findings" / f"role{i}.json").write_text(json.dumps({
            "id": f"f{i}", "resource": f"arn:aws:iam::123456789012:role/role{i}",
            "resourceType": "AWS::IAM::Role", "status": "ACTIVE",
            "findingType": "UnusedPermission", "findingDetails": details}))
    path = folder / "roles.json"
    path.write_text(json.dumps({"AWSTemplateFormatVersion": "2010-09-09",
                                "Resources": resources}, indent=1))
    return path


def timed(argv: list[str]) -> tuple[float, float, int]:
    """Wall and CPU seconds of `verify-refine ARGV` in this process, and its exit code."""
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        code = cli(argv)
    return time.perf_counter() - wall, time.process_time() - cpu, code


def time_terraform(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "tf"
        folder.mkdir()
        terraform_policies(count, folder)
        unused = Path(tmp) / "unused.json"
        unused.write_text(json.dumps(UNUSED))
        wall, cpu, code = timed(["refine", str(folder), "--unused", str(unused), "--role",
                                 "app", "--in-place", "--certificate", str(Path(tmp) / "c")])
        certs = len(os.listdir(Path(tmp) / "c")) // 2 if code == 0 else 0
        print(f"Terraform, {count} policies of one role, refine FOLDER --in-place "
              f"--certificate: {wall:.1f} s wall, {cpu:.1f} s CPU, exit {code}, "
              f"{certs} certificates")


def time_batch(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = principals_template(count, Path(tmp))
        wall, cpu, code = timed(["batch", str(path), "--findings", str(Path(tmp) / "findings"),
                                 "-o", str(Path(tmp) / "out"), "--in-place"])
        certs = len(list((Path(tmp) / "out" / "certs").glob("*.cert.json")))
        print(f"template, {count} roles with findings, batch --in-place: {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU, exit {code}, {certs} certificates")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terraform", type=int, metavar="N")
    parser.add_argument("--batch", type=int, metavar="N")
    args = parser.parse_args(argv)
    if args.terraform:
        time_terraform(args.terraform)
    if args.batch:
        time_batch(args.batch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
