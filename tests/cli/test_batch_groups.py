"""A user's group policies are refined for that user and reported with the group's other members
(refining a group's policy for one user would change it for all of them); --plan applies none."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG, policy_doc, run

ACCOUNT = AWS_FIXTURES / "account-small.json"
FINDINGS = AWS_FIXTURES / "findings-small"


def rows(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "summary.csv").read_text(), newline="")))


def test_the_issue_example_a_users_group_policy_is_a_row_naming_the_group(capsys, tmp_path):
    auth = json.loads(ACCOUNT.read_text())
    second = dict(auth["UserDetailList"][0], UserName="release-bot", UserPolicyList=[],
                  Arn="arn:aws:iam::123456789012:user/release-bot")
    auth["UserDetailList"].append(second)  # developers: ci-bot and release-bot
    (tmp_path / "auth.json").write_text(json.dumps(auth))
    (tmp_path / "findings").mkdir()
    for path in FINDINGS.iterdir():
        (tmp_path / "findings" / path.name).write_bytes(path.read_bytes())
    (tmp_path / "findings" / "release-bot.txt").write_text("s3:ListAllMyBuckets\n")
    out = tmp_path / "out"
    code, _, err = run(capsys, "batch", tmp_path / "auth.json", "--findings",
                       tmp_path / "findings", "-o", out, "--catalog", BLOG_CATALOG, "--plan")
    assert code == 0, err
    group_rows = [(r["principal"], r["policy"], r["policy_kind"], r["shared_with"])
                  for r in rows(out) if r["policy_kind"].startswith("group-")]
    assert group_rows == [("ci-bot", "dev-read", "group-inline", "group developers: release-bot"),
                          ("release-bot", "dev-read", "group-inline", "group developers: ci-bot")]
    plan = (out / "plan.sh").read_text()
    assert "# user ci-bot: dev-read (group-inline): proved: a policy of group developers (1 " \
           "other users): proved for this user only, nothing to apply" in plan
    assert "put-group-policy" not in plan and "dev-read.refined.json" not in plan
    assert run(capsys, "check", out / "ci-bot" / "dev-read.cert.json")[0] == 0


GROUPS = st.lists(st.tuples(st.lists(st.sampled_from(["s3:List*", "s3:Get*", "lambda:Get*"]),
                                     min_size=1, max_size=2),
                            st.sets(st.integers(0, 3))),
                  min_size=1, max_size=3)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(groups=GROUPS)
def test_each_member_gets_a_row_per_group_policy_naming_the_others(capsys, tmp_path_factory,
                                                                   groups):
    folder = tmp_path_factory.mktemp("groups")
    users = [f"user{k}" for k in range(4)]
    group_items = [{"GroupName": f"g{i}", "Arn": f"arn:aws:iam::123456789012:group/g{i}",
                    "GroupPolicyList": [{"PolicyName": f"g{i}-p{j}", "PolicyDocument":
                                         policy_doc(action)} for j, action in
                                        enumerate(actions)],
                    "AttachedManagedPolicies": []} for i, (actions, _) in enumerate(groups)]
    user_items = [{"UserName": name, "Arn": f"arn:aws:iam::123456789012:user/{name}",
                   "UserPolicyList": [{"PolicyName": "own", "PolicyDocument":
                                       policy_doc("s3:PutObject")}],
                   "GroupList": [f"g{i}" for i, (_, members) in enumerate(groups)
                                 if k in members]} for k, name in enumerate(users)]
    (folder / "auth.json").write_text(json.dumps({"UserDetailList": user_items,
                                                  "GroupDetailList": group_items}))
    (folder / "findings").mkdir()
    for name in users:
        (folder / "findings" / f"{name}.txt").write_text("s3:GetObject\ns3:PutObject\n")
    out = folder / "out"
    code, _, err = run(capsys, "batch", folder / "auth.json", "--findings", folder / "findings",
                       "-o", out, "--catalog", BLOG_CATALOG, "--plan")
    assert code == 0, err
    got = sorted((r["principal"], r["policy"], r["shared_with"]) for r in rows(out)
                 if r["policy_kind"] == "group-inline")
    expected = sorted(
        (users[k], f"g{i}-p{j}", f"group g{i}: " + (", ".join(
            users[m] for m in sorted(members) if m != k) or "no other member"))
        for i, (actions, members) in enumerate(groups) for k in members
        for j in range(len(actions)))
    assert got == expected
    assert all(r["verdict"] in ("proved", "detach") for r in rows(out))
    assert "put-group-policy" not in (out / "plan.sh").read_text()
