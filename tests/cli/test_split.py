"""`verify-refine split`: a policy as K managed policies within a size limit, proved to allow
together exactly what it allows, written only when proved, and its record re-checked by `check`.
Generated policies go through the real CLI; an independent oracle compares what the parts and
the policy allow, statement key by statement key."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.helpers import S3_LAMBDA_CATALOG, one_line_error, write_json
from verify_refine.jsonout import canonical
from verify_refine.report.size import iam_size

CATALOG = json.loads(S3_LAMBDA_CATALOG.read_text(encoding="utf-8"))
ACTIONS = [f"{svc}:{name}" for svc, names in CATALOG.items() for name in names]
WILDCARDS = ["s3:Get*", "s3:List*", "lambda:Get*", "s3:*Object", "lambda:Invoke*", "s3:Put?*"]

entries = st.lists(st.sampled_from(ACTIONS + WILDCARDS), min_size=1, max_size=40, unique=True)
resources = st.one_of(st.just("*"), st.lists(st.sampled_from(
    ["arn:aws:s3:::a/*", "arn:aws:s3:::b", "arn:aws:lambda:*:*:function:f*"]),
    min_size=1, max_size=3, unique=True))
conditions = st.one_of(st.none(), st.sampled_from([
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}]))


@st.composite
def policies(draw) -> dict:
    """Allow statements (some with Sids, Resources, Conditions) and up to two small Deny
    statements on lambda:Delete*, which a forged s3 entry never meets."""
    statements = []
    for k in range(draw(st.integers(1, 6))):
        s = {"Sid": f"S{k}"} if draw(st.booleans()) else {}
        s.update(Effect="Allow", Action=draw(entries))
        s["NotResource" if draw(st.booleans()) and k % 3 == 2 else "Resource"] = draw(resources)
        condition = draw(conditions)
        if condition:
            s["Condition"] = condition
        statements.append(s)
    for k in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(statements)))
        statements.insert(at, {"Sid": f"D{k}", "Effect": "Deny", "Action": "lambda:Delete*",
                               "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def key(statement: dict) -> bytes:
    """What a statement's meaning rests on besides its Action entries (its Sid aside)."""
    return canonical({k: v for k, v in statement.items() if k not in ("Sid", "Action")})


def actions_by_key(statements: list[dict]) -> dict[bytes, set[str]]:
    out: dict[bytes, set[str]] = {}
    for s in statements:
        action = s["Action"]
        out.setdefault(key(s), set()).update([action] if isinstance(action, str) else action)
    return out


def split(cli, tmp_path: Path, document: dict, limit) -> tuple[int, str, str, list[dict]]:
    policy = write_json(tmp_path / "p.json", document)
    code, out, err = cli("split", policy, "--limit", limit, "-o", tmp_path / "out",
                         "--catalog", S3_LAMBDA_CATALOG)
    files = sorted((tmp_path / "out").glob("p-*.json"), key=lambda p: int(p.stem[2:]))
    return code, out, err, [json.loads(f.read_text(encoding="utf-8")) for f in files]


def statements_of(document: dict) -> list[dict]:
    body = document["Statement"]
    return [body] if isinstance(body, dict) else body


# No shrinking: each example is a CLI run with the solver, and shrinking one took minutes.
QUICK = (Phase.explicit, Phase.reuse, Phase.generate)


@settings(max_examples=15, deadline=None, phases=QUICK, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(document=policies(), share=st.floats(0.15, 1.0))
def test_generated_policies_split_proved_and_each_part_within_the_limit(cli, tmp_path_factory,
                                                                        document, share):
    tmp_path = tmp_path_factory.mktemp("split")
    limit = max(200, int(iam_size(json.dumps(document)) * share))
    code, out, err, parts = split(cli, tmp_path, document, limit)
    if code == 2:  # an entry or a statement that cannot be cut is too large: nothing written
        assert "cannot split" in one_line_error(err) and not (tmp_path / "out").exists()
        return
    assert code == 0, err
    assert len(parts) == (int(out.split(" into ")[1].split()[0]) if " into " in out else 1)
    every = [s for part in parts for s in statements_of(part)]
    allows = [s for s in every if s["Effect"] == "Allow"]
    # the oracle: per Effect/Resource/Condition, the parts hold exactly the policy's entries
    assert actions_by_key(every) == actions_by_key(statements_of(document))
    denies = {key(s) for s in statements_of(document) if s["Effect"] == "Deny"}
    for part in parts:
        assert iam_size((tmp_path / "out" / f"p-{parts.index(part) + 1}.json").read_text(
            encoding="utf-8")) <= limit
        assert {key(s) for s in statements_of(part) if s["Effect"] == "Deny"} == denies
    sids = [s["Sid"] for s in every if "Sid" in s]
    assert len(sids) == len(set(sids)), sids
    assert all(s["Sid"].startswith(("S", "D")) for s in allows if "Sid" in s)
    assert cli("check", tmp_path / "out" / "p.split.json")[0] == 0


def denied_everywhere(allow: dict, body: list[dict]) -> bool:
    """Whether a Deny of the same part on every resource, without a condition, takes away
    each action the Allow statement grants (so that it allows nothing, wherever it applies)."""
    patterns = [p.lower() for s in body if s["Effect"] == "Deny" and "Condition" not in s
                and s.get("Resource") in ("*", ["*"]) and "Action" in s
                for p in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    actions = allow.get("Action", [])
    return "NotAction" not in allow and all(
        any(fnmatch.fnmatchcase(a.lower(), p) for p in patterns)
        for a in ([actions] if isinstance(actions, str) else actions))


@settings(max_examples=10, deadline=None, phases=QUICK, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(document=policies(), forge=st.sampled_from(["add", "drop-deny", "resource"]),
       pick=st.integers(0, 1000))
def test_a_forged_part_is_refuted_by_check(cli, tmp_path_factory, document, forge, pick):
    """A part edited after the split, with the record's hash (and limit) updated to match,
    is invalid: an s3 entry no statement allows, a Deny dropped, or a Resource changed."""
    tmp_path = tmp_path_factory.mktemp("forge")
    limit = max(300, iam_size(json.dumps(document)) // 2)
    code, _, _, parts = split(cli, tmp_path, document, limit)
    if code != 0:
        return
    k = pick % len(parts)
    body = statements_of(parts[k])
    allow = next((s for s in body if s["Effect"] == "Allow" and "Resource" in s
                  and not denied_everywhere(s, body)), None)
    if allow is None:  # only NotResource statements here, which may apply to nothing at all,
        return  # or ones a Deny on every resource voids (where they apply changes nothing)
    if forge == "drop-deny":
        if len(parts) == 1 or all(s["Effect"] == "Allow" for s in body):
            return  # no other part holds a Deny this one would lack
        body[:] = [s for s in body if s["Effect"] == "Allow"]
    elif forge == "add":
        allow["Action"] = [*allow["Action"], "s3:ForgedAction"] \
            if isinstance(allow["Action"], list) else [allow["Action"], "s3:ForgedAction"]
    else:
        allow.pop("NotResource", None)
        allow["Resource"] = "arn:aws:iam::1:role/*"
    path = tmp_path / "out" / f"p-{k + 1}.json"
    path.write_text(json.dumps(parts[k], indent=2), encoding="utf-8")
    record_path = tmp_path / "out" / "p.split.json"
    assert cli("check", record_path)[0] == 1  # stale: the hash differs
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["parts"][k]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    record["limit"] = 10 * limit
    write_json(record_path, record)
    code, _, err = cli("check", record_path)
    assert code == 1, err
    assert "invalid" in err and ("allow" in err or "Deny" in err)


EXAMPLE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ACTIONS[:60],
     "Resource": ["arn:aws:s3:::logs/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
    {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"},
    {"Sid": "Read1", "Effect": "Allow", "Action": "lambda:Get*", "Resource": "*"}]}


def test_the_example_keeps_resources_conditions_and_suffixes_sids(cli, tmp_path):
    """Statement Read is cut into runs Read2, Read3, ... (Read1 is taken), each keeping its
    Resource and Condition; NoDelete is in every part as NoDelete1, NoDelete2, ..."""
    code, out, err, parts = split(cli, tmp_path, EXAMPLE, 1500)
    assert code == 0, err
    assert out.startswith(f"proved: {tmp_path / 'p.json'} split into {len(parts)} managed")
    assert len(parts) >= 2
    sids = [[s.get("Sid") for s in statements_of(p)] for p in parts]
    assert [name for names in sids for name in names if name.startswith("NoDelete")] == \
        [f"NoDelete{k}" for k in range(1, len(parts) + 1)]
    runs = [s for p in parts for s in statements_of(p) if s["Resource"] != "*"]
    assert sorted(s["Sid"] for s in runs) == sorted(f"Read{k}" for k in range(2, len(runs) + 2))
    assert all(s["Condition"] == EXAMPLE["Statement"][0]["Condition"] for s in runs)
    assert sorted(a for s in runs for a in s["Action"]) == sorted(ACTIONS[:60])
    record = json.loads((tmp_path / "out" / "p.split.json").read_text(encoding="utf-8"))
    assert [p["file"] for p in record["parts"]] == [f"p-{k}.json"
                                                   for k in range(1, len(parts) + 1)]
    assert record["verdict"] == "proved" and record["limit"] == 1500


def test_a_policy_that_fits_is_one_part_unchanged_and_older_parts_are_named(cli, tmp_path):
    """After a split into several parts, a split of the same name into fewer leaves the
    older files alone and says which of them are not part of it."""
    code, _, _, parts = split(cli, tmp_path, EXAMPLE, 800)
    assert code == 0 and len(parts) >= 3
    code, out, err, _ = split(cli, tmp_path, EXAMPLE, "managed")
    assert code == 0 and out.startswith("fits: ")
    assert json.loads((tmp_path / "out" / "p-1.json").read_text(encoding="utf-8")) == EXAMPLE
    assert [line for line in err.splitlines() if line.startswith("warning:")] == [
        f"warning: {tmp_path / 'out' / f'p-{k}.json'} is not part of this split (left from "
        "an earlier one?): do not attach it" for k in range(2, len(parts) + 1)]


def test_more_parts_than_a_role_can_attach_is_a_warning(cli, tmp_path):
    many = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{k}", "Effect": "Allow", "Action": ACTIONS[4 * k:4 * k + 4],
         "Resource": "*"} for k in range(14)]}
    alone = max(iam_size(json.dumps({**many, "Statement": [s]})) for s in many["Statement"])
    code, _, err, parts = split(cli, tmp_path, many, alone)  # no two statements share a part
    assert code == 0 and len(parts) == 14
    assert "warning: 14 parts: more than the 10 managed policies a role can have attached " \
           "by default (the IAM quota can be raised to 20)" in err


def test_what_cannot_be_cut_is_bad_input_and_nothing_is_written(cli, tmp_path):
    not_action = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Most", "Effect": "Allow", "NotAction": ACTIONS[:40], "Resource": "*"}]}
    code, _, err, _ = split(cli, tmp_path, not_action, 500)
    assert code == 2 and not (tmp_path / "out").exists()
    assert one_line_error(err) == (
        f'{tmp_path / "p.json"}: cannot split: statement 1 (Sid "Most") is '
        f"{iam_size(json.dumps(not_action['Statement'][0])):,} characters, more than the 461 a "
        "part has room for beside what every part holds, and a NotAction statement cannot be cut: its entries together "
        "say what it does not allow")
    deny_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ACTIONS[:40]},
        {"Effect": "Deny", "Action": ACTIONS[40:80]}]}
    code, _, err, _ = split(cli, tmp_path, deny_only, 700)
    assert code == 2 and "leaving no room within 700" in one_line_error(err)
    one_entry = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:" + "Get" * 200, "Resource": "*"}]}
    code, _, err, _ = split(cli, tmp_path, one_entry, 300)
    assert code == 2 and "and it has a single Action entry" in one_line_error(err)
    code, _, err, _ = split(cli, tmp_path, EXAMPLE, "small")
    assert code == 2 and "--limit: not `managed` or a whole number: 'small'" in err


def test_a_part_edited_after_the_split_makes_check_fail(cli, tmp_path):
    code, _, _, parts = split(cli, tmp_path, EXAMPLE, 1500)
    part = tmp_path / "out" / "p-2.json"
    part.write_text(part.read_text(encoding="utf-8").replace("s3:", "s3:X"), encoding="utf-8")
    code, _, err = cli("check", tmp_path / "out" / "p.split.json")
    assert code == 1 and f"{part}: not the part the record names (sha256 differs)" in err


def test_a_record_that_is_not_one_is_bad_input(cli, tmp_path):
    record = write_json(tmp_path / "x.split.json", {"format": "verify-refine/certificate"})
    code, _, err = cli("check", record)
    assert code == 2 and one_line_error(err) == (
        f"{record}: not a split record: `format` must be 'verify-refine/split'")
