"""Guards against removing what usage data cannot see (issue 13, item 3), through the real CLI:
the built-in keep list (iam:PassRole), --keep PATTERN and --keep-sid REGEX on refine, verify
and batch; what they keep is named with its reason, the proof is over what remains, and the
certificate records the guards, which check applies again and whose every edit it refuses."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, one_line_error, policy_doc, write_json
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import keep_list
from verify_refine.spec.glob import matches

CATALOG = AWS_FIXTURES / "catalog-2026-10-27-iam-s3-sqs-sts.json"
POLICY = AWS_FIXTURES / "deployer-s3-iam-policy.json"
SERVICE_LEVEL = AWS_FIXTURES / "access-advisor-service-level.json"
PASS_ROLE_SOURCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"


def actions_of(document: dict) -> list[list[str]]:
    return [s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            for s in document["Statement"]]


def allowed(document: dict, action: str) -> bool:
    return any(matches(p, action) for s in document["Statement"] if s["Effect"] == "Allow"
               for p in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))


@pytest.fixture
def work(tmp_path):
    """A folder holding the deployer policy, the catalog, and an Access Advisor report in
    which IAM was never used (so the whole service is unused)."""
    shutil.copy(POLICY, tmp_path / "policy.json")
    shutil.copy(CATALOG, tmp_path / "catalog.json")
    report = json.loads(SERVICE_LEVEL.read_text())
    for service in report["ServicesLastAccessed"]:
        if service["ServiceNamespace"] == "iam":
            for key in ("LastAuthenticated", "LastAuthenticatedEntity",
                        "LastAuthenticatedRegion"):
                service.pop(key)
    write_json(tmp_path / "advisor.json", report)
    return tmp_path


def refine(cli, work, *more):
    return cli("refine", work / "policy.json", "--unused", work / "advisor.json", "--catalog",
               work / "catalog.json", "-o", work / "out.json", "--certificate",
               work / "out.cert.json", *more)


def test_pass_role_is_kept_when_iam_is_wholly_unused_and_the_proof_and_gate_hold(cli, work):
    code, _, err = refine(cli, work)
    assert code == 0, err
    refined = json.loads((work / "out.json").read_text())
    assert actions_of(refined) == [["s3:*", "iam:PassRole"], ["sts:AssumeRole"]]
    entry = keep_list.ENTRIES[0]
    assert f"{entry.reason} (built-in keep list: {PASS_ROLE_SOURCE}), kept: iam:PassRole\n" \
        in err
    cert = json.loads((work / "out.cert.json").read_text())
    assert cert["guards"] == {"builtin": {"version": keep_list.VERSION,
                                          "sha256": keep_list.digest()},
                              "keep": [], "keep_sid": None}
    assert "iam" in cert["catalog"]["slice"]
    assert cli("check", work / "out.cert.json")[0] == 0
    code, out, err = cli("gate", "--root", work, work)
    assert code == 0, out + err


def test_keep_patterns_are_kept_named_with_their_reason_and_recorded(cli, work):
    code, _, err = refine(cli, work, "--keep", "iam:Get*", "--keep", "sqs:ListQueues")
    assert code == 0, err
    refined = json.loads((work / "out.json").read_text())
    cat = catalog_mod.load(str(CATALOG))
    gets = [cat.canonical(a) for a in cat.matching("iam:Get*")]
    assert all(allowed(refined, a) for a in gets + ["iam:PassRole", "sqs:ListQueues"])
    assert not allowed(refined, "iam:CreateRole") and not allowed(refined, "sqs:SendMessage")
    assert "--keep iam:Get*, kept: iam:GetAccessKeyLastUsed, " in err
    assert "--keep sqs:ListQueues, kept: sqs:ListQueues\n" in err
    cert = json.loads((work / "out.cert.json").read_text())
    assert cert["guards"]["keep"] == ["iam:Get*", "sqs:ListQueues"]
    code, out, err = cli("check", work / "out.cert.json")
    assert code == 0, err
    code, out, err = cli("refine", work / "policy.json", "--unused", work / "advisor.json",
                         "--catalog", work / "catalog.json", "--format", "json", "--keep",
                         "sqs:ListQueues")
    assert code == 0, err
    usage = json.loads(out)["usage"]
    assert usage["guards"] == {"builtin": {"version": keep_list.VERSION,
                                           "sha256": keep_list.digest()},
                               "keep": ["sqs:ListQueues"], "keep_sid": None}
    assert {"name": "sqs:ListQueues", "reason": "--keep sqs:ListQueues"} in usage["kept"]


def test_keep_sid_leaves_its_statement_as_written_and_removes_elsewhere(cli, work):
    policy = json.loads((work / "policy.json").read_text())
    policy["Statement"].insert(0, {"Sid": "NoRepoBreakGlass", "Effect": "Allow",
                                   "Action": ["sqs:Send*", "iam:Create*"], "Resource": "*"})
    write_json(work / "policy.json", policy)
    code, _, err = refine(cli, work, "--keep-sid", "^NoRepo")
    assert code == 0, err
    refined = json.loads((work / "out.json").read_text())
    assert refined["Statement"][0] == policy["Statement"][0]
    assert actions_of(refined)[1:] == [["s3:*", "iam:Create*", "iam:PassRole"],
                                       ["sqs:SendMessage", "sts:AssumeRole"]]
    assert 'granted by statement "NoRepoBreakGlass", which --keep-sid ^NoRepo leaves as ' \
           "written, kept: iam:CreateAccessKey, " in err
    assert json.loads((work / "out.cert.json").read_text())["guards"]["keep_sid"] == "^NoRepo"
    assert cli("check", work / "out.cert.json")[0] == 0


@pytest.mark.parametrize("option, value, message", [
    ("--keep", "s3 Get*", "\"s3 Get*\" holds ' ' (U+0020), which no action does"),
    ("--keep", "GetObject", '"GetObject" is not an action (service:Action)'),
    ("--keep", "iam:Pass:Role", '"iam:Pass:Role" is not an action (service:Action)'),
    ("--keep-sid", "(NoRepo", '"(NoRepo" is not a regular expression: missing ), '
                              "unterminated subpattern at position 0"),
    ("--keep-sid", "(a+)+$", '"(a+)+$" repeats something that repeats'),
    ("--keep-sid", "(Keep|NoRepo)*", '"(Keep|NoRepo)*" repeats an alternation'),
    ("--keep-sid", r"(a)\1", r'"(a)\\1" refers back to a group'),
    ("--keep-sid", "a.*b.*c.*", '"a.*b.*c.*" has 3 unbounded repeats (at most 2)'),
])
@pytest.mark.parametrize("command", ["refine", "verify", "batch"])
def test_a_bad_guard_is_one_line_of_bad_input_and_nothing_is_written(cli, work, option, value,
                                                                    message, command):
    if command == "batch":
        args = ["batch", AWS_FIXTURES / "account-small.json", "--findings",
                AWS_FIXTURES / "findings-small", "-o", work / "outdir"]
    else:
        args = [command, work / "policy.json", "--unused", work / "advisor.json",
                *(["-o", work / "out.json"] if command == "refine" else [POLICY])]
    code, out, err = cli(*args, option, value)
    assert (code, out) == (2, "")
    line = one_line_error(err)
    assert line.startswith(f"verify-refine {command}: argument {option}: {message}"), line
    assert not (work / "out.json").exists() and not (work / "outdir").exists()


@pytest.mark.parametrize("edit", [
    lambda g: g["keep"].append("iam:Get*"),
    lambda g: g.update(keep_sid="^Deploy$"),
    lambda g: g.update(keep_sid="^NothingMatchesThis$"),
    lambda g: g["builtin"].update(version=g["builtin"]["version"] + 1),
    lambda g: g["builtin"].update(sha256="0" * 64),
    lambda g: g.clear(),
])
def test_every_edit_of_the_recorded_guards_fails_the_check(cli, work, edit):
    assert refine(cli, work)[0] == 0
    path = work / "out.cert.json"
    cert = json.loads(path.read_text())
    edit(cert["guards"])
    if not cert["guards"]:
        del cert["guards"]
    path.write_text(json.dumps(cert, indent=1))
    code, out, err = cli("check", path)
    assert code in (1, 2) and out == "", err
    assert "Traceback" not in err


def test_verify_refutes_a_refinement_that_drops_pass_role_and_says_why(cli, work):
    dropped = policy_doc("s3:*")
    dropped["Statement"].append({"Effect": "Allow", "Action": "sts:AssumeRole",
                                 "Resource": "*"})
    write_json(work / "dropped.json", dropped)
    code, out, err = cli("verify", work / "policy.json", work / "dropped.json", "--unused",
                         work / "advisor.json", "--catalog", work / "catalog.json")
    assert code == 1, err
    assert out.startswith("refuted: complete: ORIGINAL allows iam:PassRole ")
    assert f"; iam:PassRole is kept: {keep_list.ENTRIES[0].reason} (built-in keep list: " \
           f"{PASS_ROLE_SOURCE})" in out


# --- generated guards: what a guard keeps is never removed, and the proof holds --------------

@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_keep_patterns_keep_exactly_what_they_match(cli, tmp_path, data):
    cat = catalog_mod.load(str(CATALOG))
    names = sorted(f"{svc}:{n}" for svc, ns in cat.services.items() for n in ns)
    services = data.draw(st.lists(st.sampled_from(sorted(cat.services)), unique=True,
                                  min_size=1, max_size=2))
    unused = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=20))
    unused += [f"{svc}:*" for svc in services]
    keep = data.draw(st.lists(st.sampled_from(names).map(
        lambda a: a[:data.draw(st.integers(a.index(":") + 1, len(a)))] + "*"),
        min_size=1, max_size=3))
    work = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    write_json(work / "p.json", policy_doc("iam:*", "s3:Get*", "sqs:*", "sts:*"))
    write_json(work / "u.json", unused)
    args = [a for k in keep for a in ("--keep", k)]
    code, _, err = cli("refine", work / "p.json", "--unused", work / "u.json", "--catalog",
                       CATALOG, "-o", work / "r.json", "--certificate", work / "r.cert.json",
                       *args)
    assert code == 0, err
    refined = json.loads((work / "r.json").read_text())
    original = json.loads((work / "p.json").read_text())
    for action in names:
        guarded = any(matches(p, action) for p in keep + [e.action for e in
                                                            keep_list.ENTRIES])
        listed = action in unused or f"{action.split(':')[0]}:*" in unused
        want = allowed(original, action) and (guarded or not listed)
        assert allowed(refined, action) == want, (action, keep, err)
    assert cli("check", work / "r.cert.json")[0] == 0


# --- check's drift report and recertify apply the recorded guards ----------------------------

def test_drift_and_recertify_refine_again_with_the_recorded_guards(cli, work):
    assert refine(cli, work, "--keep", "iam:Get*")[0] == 0
    today = json.loads((work / "catalog.json").read_text())
    today["iam"].append("GetNewThing")  # published since: kept by --keep iam:Get*
    write_json(work / "today.json", today)
    code, _, err = cli("check", work / "out.cert.json", "--catalog", work / "today.json")
    assert code == 0, err
    assert "its wildcards admit 1 action published since: iam:GetNewThing" in err
    assert "refining again today gives the same policy" in err
    code, out, err = cli("gate", "--root", work, work, "--catalog", work / "today.json")
    assert code == 0 and "VR-catalog-drift" in out, out + err
    assert "refining again today gives the same policy" in out
    code, out, err = cli("recertify", work / "out.cert.json", "--catalog", work / "today.json")
    assert code == 0, err
    cert = json.loads((work / "out.cert.json").read_text())
    assert cert["guards"]["keep"] == ["iam:Get*"]
    assert "iam:Get*" in json.loads((work / "out.json").read_text())["Statement"][0]["Action"]
    assert cli("check", work / "out.cert.json", "--catalog", work / "today.json")[0] == 0


# --- batch: the guards, and principals tagged verify-refine:skip -----------------------------

def test_batch_skips_tagged_principals_and_applies_the_guards(cli, tmp_path):
    account = json.loads((AWS_FIXTURES / "account-small.json").read_text())
    reader = next(r for r in account["RoleDetailList"] if r["RoleName"] == "data-reader")
    reader["Tags"] = [{"Key": "team", "Value": "data"},
                      {"Key": "verify-refine:skip", "Value": "until the audit"}]
    write_json(tmp_path / "account.json", account)
    out = tmp_path / "out"
    code, stdout, err = cli("batch", tmp_path / "account.json", "--findings",
                            AWS_FIXTURES / "findings-small", "-o", out, "--catalog",
                            AWS_FIXTURES.parent.parent.parent / "examples" / "blog"
                            / "catalog-2024-10-24.json", "--jobs", "2", "--keep",
                            "lambda:PublishVersion")
    assert code == 0, err
    # app-deployer's 3 (its AWS managed one included) and ci-bot's own and group policy
    assert stdout.startswith("batch: 5 policies: ") and "; 2 skipped;" in stdout
    md = (out / "summary.md").read_text()
    assert "- role `data-reader`: tagged verify-refine:skip" in md
    assert not (out / "data-reader").exists()
    assert "- user `ci-bot`, ci-publish: --keep lambda:PublishVersion, kept: " \
           "lambda:PublishVersion" in md
    refined = json.loads((out / "ci-bot" / "ci-publish.refined.json").read_text())
    assert "lambda:PublishVersion" in refined["Statement"]["Action"]
    for cert in sorted(out.glob("*/*.cert.json")):
        assert json.loads(cert.read_text())["guards"]["keep"] == ["lambda:PublishVersion"]
        assert cli("check", cert)[0] == 0
