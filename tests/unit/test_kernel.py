"""The proof kernel (the trusted base): it accepts real refinements and rejects each kind of wrong one."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import EXAMPLES
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.inputs.policy import parse_policy
from verify_refine.jsonout import dumps
from verify_refine.prove import kernel
from verify_refine.prove import kernel_call as kernelcheck
from verify_refine.refine.hints import hints
from verify_refine.refine.refiner import refine
from verify_refine.report.document import refined_document
from verify_refine.spec import glob, tokens

CATALOGS = {"blog": "catalog-2024-10-24.json", "deployer": "catalog-2026-10-27.json",
            "analyst": "catalog-2026-10-27.json"}


def case(name: str) -> dict:
    """An example refined by the real refiner, as the kernel's plain inputs."""
    folder = EXAMPLES / name
    cat = catalog_mod.load(str(folder / CATALOGS[name]))
    policy = parse_policy((folder / "policy.json").read_bytes(), "policy.json")
    unused, _ = findings.load(str(folder / "unused.json"), cat)
    result = refine(policy, cat, unused)
    refined = parse_policy(dumps(refined_document(result)).encode(), "r", allow_empty=True)
    return {"original": kernelcheck.document(policy), "refined": kernelcheck.document(refined),
            "unused_actions": list(unused.actions), "unused_services": list(unused.services),
            "catalog_actions": kernelcheck.catalog_actions(cat), "hints": hints(result)}


@pytest.fixture(scope="module")
def cases() -> dict:
    return {name: case(name) for name in CATALOGS}


def run(c: dict, findings_bytes: bytes | None = None, claimed=None, **change) -> kernel.Result:
    c = {**copy.deepcopy(c), **change}
    names = c["unused_actions"] + [s + ":*" for s in c["unused_services"]]
    return kernel.check(c["original"], c["refined"], findings_bytes or json.dumps(names).encode(),
                        c["catalog_actions"], c["hints"], claimed=claimed)


def properties(result: kernel.Result) -> set[str]:
    return {prop for prop, _, _ in result.failures}


def messages(items) -> list[str]:
    """Failures as lines: `property: message`."""
    return [f"{prop}: {message}" for prop, _, message in items]


def edited(c: dict, statement: int, key: str, entries: list[str], hint_rows=None) -> dict:
    c = copy.deepcopy(c)
    c["refined"]["Statement"][statement][key] = entries
    if hint_rows is not None:
        c["hints"]["statements"][statement]["entries"] = hint_rows
    return c


@pytest.mark.parametrize("name", sorted(CATALOGS))
def test_kernel_proves_the_refiners_examples(cases, name):
    result = run(cases[name])
    assert (result.verdict, result.failures, result.unknown) == ("proved", [], [])


def test_worker_threads_check_at_once_with_the_main_threads_verdicts(cases):
    """Dask workers run the kernel in several threads of one process: each solves in its own
    z3 context and gets the verdict the main thread gets, for a proof and a refutation."""
    from concurrent.futures import ThreadPoolExecutor

    c = cases["blog"]
    entries = c["refined"]["Statement"][1]["Action"]
    inputs = [c, edited(c, 1, "Action", ["s3:G*"] + entries[1:])] * 3
    expected = [run(x).verdict for x in inputs]
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(lambda x: run(x).verdict, inputs)) == expected
    assert expected[:2] == ["proved", "refuted"]


def test_sound_rejects_a_wildcard_wider_than_its_origin(cases):
    c = cases["blog"]
    entries = c["refined"]["Statement"][1]["Action"]
    bad = edited(c, 1, "Action", ["s3:G*"] + entries[1:])
    assert "sound" in properties(run(bad))


def test_sound_rejects_a_literal_outside_the_original_and_a_bad_origin(cases):
    c = cases["blog"]
    entries = c["refined"]["Statement"][0]["Action"]
    rows = [{"origin": 99}, {"origin": True}]
    bad = edited(c, 0, "Action", entries + ["lambda:TagResource"], rows)
    result = run(bad)
    assert "sound" in properties(result)
    assert any("lambda:TagResource is not allowed" in f for f in messages(result.failures))


def test_removes_rejects_an_unused_action_and_a_dead_service(cases):
    c = cases["blog"]
    entries = c["refined"]["Statement"][0]["Action"]
    bad = edited(c, 0, "Action", entries + ["lambda:GetFunction"],
                 c["hints"]["statements"][0]["entries"] + [{"origin": 7}])
    assert properties(run(bad)) == {"removes"}
    a = cases["analyst"]
    dead = edited(a, 1, "Action", a["refined"]["Statement"][1]["Action"])
    dead["unused_services"] = dead["unused_services"] + ["iam"]
    assert "removes" in properties(run(dead))


def test_removes_rejects_a_notaction_list_that_lets_a_dead_service_through(cases):
    a = cases["analyst"]
    entries = [e for e in a["refined"]["Statement"][0]["NotAction"] if e != "ec2:*"]
    rows = [r for r in a["hints"]["statements"][0]["entries"] if r.get("node") != "ec2:"]
    result = run(edited(a, 0, "NotAction", entries, rows))
    assert any("ec2:* is allowed" in f for f in messages(result.failures))


def test_complete_rejects_a_dropped_used_action(cases):
    c = cases["blog"]
    entries = [e for e in c["refined"]["Statement"][1]["Action"] if e != "s3:GetObject*"]
    rows = [r for r in c["hints"]["statements"][1]["entries"] if r.get("node") != "s3:GetObject"]
    result = run(edited(c, 1, "Action", entries, rows))
    assert properties(result) == {"complete"}
    assert any("s3:GetObject is no longer allowed" in f for f in messages(result.failures))


def test_complete_rejects_removing_a_statement_still_in_use(cases):
    c = copy.deepcopy(cases["blog"])
    c["refined"]["Statement"] = c["refined"]["Statement"][1:]
    c["hints"]["statements"][0] = {"original": 0, "refined": None}
    c["hints"]["statements"][1]["refined"] = 0
    assert properties(run(c)) == {"complete"}


def hint_of(c: dict, statement: int, node: str) -> dict:
    return next(r for r in c["hints"]["statements"][statement]["entries"]
                if r.get("node") == node)


@pytest.mark.parametrize("change, message", [
    ({"witness": "s3:GetObject"}, "not an unused action"),
    ({"witness": "s3:ListBucket"}, "is not under"),
    ({"unsafe": "s3:GetOb"}, "is not one token above"),
    ({"node": "s3:GetObj", "unsafe": "s3:Get"}, "does not stand at"),
    ({"node": "s3:GetMulti"}, "does not stand at"),
    ({"node": None}, "no origin, token node"),
    ({"origin": None}, "no origin, token node"),
])
def test_minimal_checks_every_claim_of_a_hint(cases, change, message):
    c = copy.deepcopy(cases["blog"])
    hint_of(c, 1, "s3:GetObject").update(change)
    result = run(c)
    assert properties(result) == {"minimal"}
    assert any(message in f for f in messages(result.failures)), result.failures


def test_minimal_rejects_a_prefix_one_token_too_long(cases):
    c = cases["blog"]
    entries = c["refined"]["Statement"][1]["Action"]
    longer = [e for e in entries if e != "s3:GetObject*"] + ["s3:GetObjectAcl*",
                                                             "s3:GetObjectTagging*"]
    row = hint_of(c, 1, "s3:GetObject")
    rows = [r for r in c["hints"]["statements"][1]["entries"] if r is not row] + [
        {**row, "node": "s3:GetObjectAcl", "unsafe": "s3:GetObject"},
        {**row, "node": "s3:GetObjectTagging", "unsafe": "s3:GetObject"}]
    result = run(edited(c, 1, "Action", longer, rows))
    assert "minimal" in properties(result)


def test_minimal_for_notaction_needs_a_used_action_that_was_allowed(cases):
    a = copy.deepcopy(cases["analyst"])
    hint_of(a, 0, "glue:DeleteJob")["witness"] = "glue:DeleteDatabase"
    assert properties(run(a)) == {"minimal"}
    b = copy.deepcopy(cases["analyst"])
    hint_of(b, 0, "glue:DeleteSchema")["node"] = None  # a wildcard needs its claim
    assert properties(run(b)) == {"minimal"}
    c = copy.deepcopy(cases["analyst"])
    hint_of(c, 0, "glue:DeleteJob")["node"] = None  # an unused name excluded as written
    assert run(c).verdict == "proved"


def test_sound_requires_every_original_notaction_entry(cases):
    a = cases["analyst"]
    entries = a["refined"]["Statement"][0]["NotAction"][1:]
    assert "sound" in properties(run(edited(a, 0, "NotAction", entries)))


def test_minimal_for_a_dead_service_witness_asks_the_solver(cases):
    a = copy.deepcopy(cases["analyst"])
    a["original"]["Statement"].append({"Effect": "Allow", "Action": "ec2:Describe*",
                                       "Resource": "*"})
    a["refined"]["Statement"].append({"Effect": "Allow", "Action": "ec2:DescribeImages",
                                      "Resource": "*"})
    row = {"original": 2, "refined": 2, "entries": [
        {"origin": 0, "node": "ec2:DescribeImages", "unsafe": "ec2:Describe",
         "witness": "ec2:*"}]}
    a["hints"]["statements"].append(row)
    result = run(a)
    assert "minimal" not in properties(result)  # ec2:Describe* does admit a string of ec2:*
    assert "removes" in properties(result)  # but ec2 is wholly unused, so nothing may stay
    row["entries"][0]["witness"] = "lambda:*"  # dead too, but not inside ec2:Describe*
    a["unused_services"].append("lambda")
    assert any("admits no lambda:*" in f for f in messages(run(a).failures))


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c["refined"].update(Version="2008-10-17"), "other than Statement"),
    (lambda c: c["refined"]["Statement"][0].update(Resource="*"), "other than the action"),
    (lambda c: c["hints"].update(statements=[]), "do not pair"),
    (lambda c: c["hints"]["statements"][0].update(refined=1), "reordered or missing"),
    (lambda c: c["refined"]["Statement"].append({"Effect": "Allow", "Action": "s3:*"}),
     "no original"),
    (lambda c: c["refined"]["Statement"][0].pop("Action"), "other than the action"),
    (lambda c: c["hints"]["statements"].__setitem__(0, "s0"), "reordered or missing"),
])
def test_structure_rejects_every_change_outside_the_action_lists(cases, mutate, message):
    c = copy.deepcopy(cases["blog"])
    mutate(c)
    result = run(c)
    assert "structure" in properties(result)
    assert any(message in f for f in messages(result.failures)), result.failures


def test_structure_rejects_a_changed_or_removed_deny(cases):
    d = copy.deepcopy(cases["deployer"])
    deny = next(i for i, s in enumerate(d["original"]["Statement"]) if s["Effect"] == "Deny")
    j = d["hints"]["statements"][deny]["refined"]
    d["refined"]["Statement"][j]["Action"] = ["s3:DeleteBucket"]
    assert any("Deny statement changed" in f for f in messages(run(d).failures))
    d["hints"]["statements"][deny]["refined"] = None
    assert "structure" in properties(run(d))


def test_hints_of_the_wrong_shape_are_claims_that_fail(cases):
    c = copy.deepcopy(cases["blog"])
    c["hints"]["statements"][1]["entries"] = 7
    assert properties(run(c)) == {"minimal"}
    c["hints"]["statements"][1]["entries"] = ["s3:GetObject"] * 8
    assert properties(run(c)) == {"minimal"}


def test_an_unknown_answer_is_not_proved(cases, monkeypatch):
    monkeypatch.setattr(kernel, "exists", lambda regex, timeout_ms: "unknown")
    result = run(cases["analyst"])
    assert result.verdict == "unknown" and result.unknown and not result.failures


def test_smt_strings_are_never_read_as_escapes():
    assert kernel.smt_string('a"b\\u{41}é') == '"a""b\\u{5c}u{41}\\u{e9}"'
    assert kernel.exists(f"(str.to_re {kernel.smt_string('x')})", 1000) == "sat"


def test_token_rule_agrees_with_the_refiners_on_the_whole_catalog():
    cat = catalog_mod.load(None)
    for action in kernelcheck.catalog_actions(cat):
        expected = {glob.fold(p) for p in tokens.token_prefixes(action)}
        assert kernel.token_prefixes(action) == expected, action
        for prefix in tokens.token_prefixes(action)[1:]:
            assert kernel.parent(prefix) == tokens.token_parent(prefix), prefix
    assert kernel.parent("s3") == ""


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.text(alphabet="aB3:*?é[]\\.", max_size=12),
       st.text(alphabet="aAbB3:é[]\\.*?", max_size=12))
def test_matcher_agrees_with_the_reference(pattern, text):
    assert kernel.matches(pattern, text) == glob.matches(pattern, text)
    assert kernel.head(pattern) == glob.fold(glob.literal_head(pattern))


def kernel_says(monkeypatch, failures=(), unknown=()):
    def fake(*args, **kwargs):
        result = kernel.Result()
        result.failures, result.unknown = list(failures), list(unknown)
        return result
    monkeypatch.setattr(kernel, "check", fake)


@pytest.mark.parametrize("failures, unknown, code", [([("sound", 1, "s3:G*")], [], 1),
                                                     ([], [("sound", 1, "solver: unknown")], 3)])
def test_refine_writes_nothing_unless_the_kernel_agrees(tmp_path, capsys, monkeypatch,
                                                        failures, unknown, code):
    from verify_refine.cli import main
    blog = EXAMPLES / "blog"
    out, cert = tmp_path / "r.json", tmp_path / "r.cert.json"
    kernel_says(monkeypatch, failures, unknown)
    assert main(["refine", str(blog / "policy.json"), "--unused", str(blog / "unused.json"),
                 "--catalog", str(blog / CATALOGS["blog"]), "-o", str(out),
                 "--certificate", str(cert)]) == code
    err = capsys.readouterr().err
    prop, _, message = (failures + unknown)[0]
    word = "refuted" if failures else "unknown"
    assert f"{word}: {prop}: statement 2: {message} (proof kernel)" in err
    assert "nothing written" in err
    assert not out.exists() and not cert.exists()


def test_check_fails_when_the_kernel_does_not_agree(capsys, monkeypatch):
    from verify_refine.cli import main
    cert = str(EXAMPLES.parent / "proofs" / "blog.cert.json")
    assert main(["check", cert]) == 0
    assert "the proof kernel agrees" in capsys.readouterr().out
    kernel_says(monkeypatch, [("complete", 0, "lambda:InvokeFunction is no longer allowed")])
    assert main(["check", cert]) == 1
    assert "invalid: statement 1: lambda:InvokeFunction is no longer allowed (proof kernel)" \
        in capsys.readouterr().err


def test_minimal_rejects_an_entry_below_its_hinted_node(cases):
    c = cases["blog"]
    entries = [("s3:GetMultiRegion*" if e == "s3:GetMulti*" else e)
               for e in c["refined"]["Statement"][1]["Action"]]
    result = run(edited(c, 1, "Action", entries))  # the hint still names s3:GetMulti
    assert properties(result) == {"minimal"}
    assert any("s3:GetMultiRegion*: does not stand at s3:GetMulti" in f
               for f in messages(result.failures))


def test_minimal_takes_a_literal_only_as_its_nodes_one_action(cases):
    c = cases["blog"]
    entries = [("s3:GetObjectAcl" if e == "s3:GetObject*" else e)
               for e in c["refined"]["Statement"][1]["Action"]]
    assert properties(run(edited(c, 1, "Action", entries))) == {"minimal", "complete"}


def test_complete_keeps_what_matches_nothing_known(cases):
    c = copy.deepcopy(cases["blog"])
    c["original"]["Statement"][1]["Action"].insert(0, "s3:GetLegacyThing")
    for row in c["hints"]["statements"][1]["entries"]:
        row["origin"] += 1
    result = run(c)
    assert any("s3:GetLegacyThing matches no catalog action and is no longer allowed" in f
               for f in messages(result.failures)), result.failures
    c["refined"]["Statement"][1]["Action"].insert(0, "s3:GetLegacyThing")
    c["hints"]["statements"][1]["entries"].insert(0, {"origin": 0})
    assert run(c).verdict == "proved"


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text(alphabet="s3:GetObjAcl*?", min_size=1, max_size=9),
       st.text(alphabet="s3:GetObjAcl", min_size=1, max_size=9))
def test_every_piece_the_refiner_emits_stands_at_its_node(pattern, node):
    from verify_refine.refine.refiner import emission

    pieces = emission(pattern, node) if glob.states_after(pattern, node) else ()
    for piece in pieces:
        assert kernel.stands_at(piece, node, pattern), (piece, node, pattern)
    assert not kernel.stands_at(node + "Z*", node, pattern)  # the pattern has no Z to go on with


def test_a_pattern_matching_nothing_known_may_go_only_inside_a_wider_entry(cases):
    c = copy.deepcopy(cases["blog"])
    c["original"]["Statement"][1]["Action"].append("s3:GetLegacy*")
    assert "complete" in properties(run(c))  # nothing in the refinement allows s3:GetLegacyX
    c["refined"]["Statement"][1]["Action"].append("s3:GetL*")
    c["hints"]["statements"][1]["entries"].append(
        {"origin": 0, "node": "s3:GetL", "unsafe": "s3:Get",
         "witness": "s3:GetAccelerateConfiguration"})
    assert "complete" not in properties(run(c))  # s3:GetL* holds all of s3:GetLegacy*


# ---------------------------------------------------------------- the kernel's own findings reader


@pytest.mark.parametrize("data, expected", [
    (b'["s3:GetObject", "IAM:*", "iam:PassRole"]', ({"s3:getobject"}, {"iam"})),
    (b"\xef\xbb\xbf# unused\r\n s3:GetObject # why\r\n\r\nlambda:*\r\n",
     ({"s3:getobject"}, {"lambda"})),
    (b'[{"serviceNamespace": "s3", "actions": ["GetObject", {"action": "PutObject"}, '
     b'"s3:ListBucket"]}, {"serviceNamespace": "sqs", "actions": []}]',
     ({"s3:getobject", "s3:putobject", "s3:listbucket"}, {"sqs"})),
    (b'{"findingType": "UnusedPermission", "findingDetails": [{"unusedIamRoleDetails": {}}, '
     b'{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [{"action": "GetObject"'
     b'}]}}, {"unusedPermissionDetails": {"serviceNamespace": "kms"}}]}',
     ({"s3:getobject"}, {"kms"})),
    # several get-finding-v2 outputs about one principal
    (b'[{"findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": '
     b'[{"action": "GetObject"}]}}]}, {"findingDetails": [{"unusedPermissionDetails": '
     b'{"serviceNamespace": "kms"}}]}]', ({"s3:getobject"}, {"kms"})),
    # IAM Access Advisor, ACTION_LEVEL: never authenticated, tracked and never accessed, used
    (b'{"JobStatus": "COMPLETED", "JobType": "ACTION_LEVEL", "ServicesLastAccessed": ['
     b'{"ServiceNamespace": "sqs"}, {"ServiceNamespace": "s3", "LastAuthenticated": "2026-11-01",'
     b' "TrackedActionsLastAccessed": [{"ActionName": "GetObject"}, {"ActionName": "s3:PutObject"'
     b'}, {"ActionName": "ListBucket", "LastAccessedTime": "2026-11-02"}]}, {"ServiceNamespace": '
     b'"iam", "LastAuthenticated": "2026-11-03"}]}', ({"s3:getobject", "s3:putobject"}, {"sqs"})),
    # SERVICE_LEVEL (action data, if any, is not read), and pages given as a list
    (b'[{"JobType": "SERVICE_LEVEL", "ServicesLastAccessed": [{"ServiceNamespace": "s3", '
     b'"LastAuthenticated": "2026-11-01", "TrackedActionsLastAccessed": [{"ActionName": "GetObject"'
     b'}]}]}, {"ServicesLastAccessed": [{"ServiceNamespace": "kms", "LastAuthenticated": null}]}]',
     (set(), {"kms"})),
])
def test_the_kernel_reads_every_findings_format(data, expected):
    assert kernel.read_unused(data) == expected


@pytest.mark.parametrize("data", [b"\xff\xfe", b"[1]", b'"s3:GetObject"', b'{"x": []}',
                                  b"s3:a:b", b'[{"actions": ["GetObject"]}]', b"{",
                                  b'[{"ServicesLastAccessed": []}, {"findingDetails": []}]'])
def test_findings_the_kernel_cannot_read_fail_closed(cases, data):
    result = run(cases["blog"], findings_bytes=data)
    assert result.verdict == "refuted" and properties(result) == {"inputs"}


def test_a_claimed_unused_set_other_than_the_files_fails(cases):
    c = cases["blog"]
    claimed = (c["unused_actions"][1:], c["unused_services"] + ["sqs"])
    result = run(c, claimed=claimed)
    assert properties(result) == {"inputs"}
    [line] = messages(result.failures)
    assert c["unused_actions"][0].lower() in line and "sqs:*" in line
    assert run(c, claimed=(c["unused_actions"], c["unused_services"])).verdict == "proved"


def test_strings_past_u2ffff_are_unknown_never_proved(cases):
    c = copy.deepcopy(cases["blog"])
    c["catalog_actions"] = list(c["catalog_actions"]) + ["s3:Get\U00030000"]
    result = run(c)
    assert result.verdict == "unknown" and "U+2FFFF" in messages(result.unknown)[0]


@pytest.mark.parametrize("failures, unknown, verdict", [
    ([("removes", 0, "s3:GetObjectAcl is unused")], [], "refuted"),
    ([], [("sound", 0, "solver: unknown")], "unknown")])
def test_batch_certifies_nothing_the_kernel_does_not_agree_with(tmp_path, capsys, monkeypatch,
                                                                 failures, unknown, verdict):
    """Only the kernel objects (the obligations hold): batch, proving in this process (the
    same code its Dask workers run), must write no refined policy and no certificate for any
    policy."""
    import csv

    from verify_refine.cli import main
    aws = EXAMPLES.parent / "tests" / "fixtures" / "aws"
    out = tmp_path / "out"
    kernel_says(monkeypatch, failures, unknown)
    code = main(["batch", str(aws / "account-small.json"), "--findings",
                 str(aws / "findings-small"), "-o", str(out), "--catalog",
                 str(EXAMPLES / "blog" / CATALOGS["blog"]), "--jobs", "1"])
    capsys.readouterr()
    assert code == (1 if failures else 3)
    rows = list(csv.DictReader((out / "summary.csv").read_text().splitlines()))
    assert len(rows) == 6 and {r["verdict"] for r in rows} == {verdict}
    assert not [p for p in out.rglob("*") if p.name.endswith((".cert.json", ".refined.json"))]


def fitted_case(name: str, target: int) -> dict:
    """An example refined, then given the smallest cover --fit finds, as the kernel's inputs."""
    from verify_refine import pipeline
    from verify_refine.refine import fit

    folder = EXAMPLES / name
    cat = catalog_mod.load(str(folder / CATALOGS[name]))
    policy = parse_policy((folder / "policy.json").read_bytes(), "policy.json")
    unused, _ = findings.load(str(folder / "unused.json"), cat)
    result, fitting = fit.fit(refine(policy, cat, unused), target, pipeline.refined_size)
    assert fitting.status == fit.FITTED
    refined = parse_policy(dumps(refined_document(result)).encode(), "r", allow_empty=True)
    return {"original": kernelcheck.document(policy), "refined": kernelcheck.document(refined),
            "unused_actions": list(unused.actions), "unused_services": list(unused.services),
            "catalog_actions": kernelcheck.catalog_actions(cat),
            "hints": {**hints(result), "fit": {"target": target}}}


def test_a_fitted_refinement_is_proved_by_its_size_not_by_minimality():
    c = fitted_case("blog", 300)
    assert run(c).verdict == "proved"
    size = sum(not ch.isspace() for ch in json.dumps(c["refined"]))
    assert size <= 300
    assert messages(run(c, hints={**c["hints"], "fit": {"target": size - 1}}).failures) == [
        f"fitted: the refined policy is {size} characters; target {size - 1}"]
    assert properties(run(c, hints={**c["hints"], "fit": "small"})) == {"fitted"}


def test_a_fitted_refinement_is_never_accepted_as_minimal():
    c = fitted_case("blog", 300)
    without_claim = {k: v for k, v in c["hints"].items() if k != "fit"}
    assert properties(run(c, hints=without_claim)) == {"minimal"}
