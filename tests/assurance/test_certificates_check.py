"""Every certificate `refine` writes re-checks with `check`: random small catalogs, policies
mixing Action and NotAction statements, unused sets naming actions and whole services."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import run
from verify_refine.testing.strategies import catalogs, patterns, unused_sets


@st.composite
def certified_inputs(draw):
    catalog = draw(catalogs())
    statements = [{"Effect": "Allow", key: draw(st.lists(patterns(catalog), min_size=1,
                                                        max_size=3)), "Resource": "*"}
                  for key in draw(st.lists(st.sampled_from(["Action", "NotAction"]),
                                           min_size=1, max_size=3))]
    unused = draw(unused_sets(catalog))
    names = list(unused.actions) + [f"{s}:*" for s in unused.services]
    return catalog, {"Version": "2012-10-17", "Statement": statements}, names


def test_the_not_action_example_certificate_checks(tmp_path, capsys):
    """A NotAction statement and a wholly unused service: the minimality witness is a used
    action of a service no statement names, which the certificate's slice must carry."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "dynamodb:Query", "s3:Get*"],
         "Resource": "*"},
        {"Effect": "Allow", "NotAction": ["s3:GetObject", "s3:Get*", "sqs:SendMessage"],
         "Resource": "*"}]}
    assert _refine_and_check(tmp_path, capsys, policy, ["dynamodb:*"], None) == 0


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(certified_inputs())
def test_every_written_certificate_checks(tmp_path_factory, capsys, case):
    catalog, policy, names = case
    folder = tmp_path_factory.mktemp("cert")
    catalog_file = folder / "catalog.json"
    catalog_file.write_text(json.dumps(catalog.export()))
    assert _refine_and_check(folder, capsys, policy, names, catalog_file) in (0, None)


def _refine_and_check(folder, capsys, policy, names, catalog_file):
    """`check`'s exit code for the certificate `refine` wrote; None when refine refused the
    input (bad input or nothing unused), which is not this test's concern."""
    (folder / "p.json").write_text(json.dumps(policy))
    (folder / "u.json").write_text(json.dumps(names))
    extra = ["--catalog", str(catalog_file)] if catalog_file else []
    code, _, err = run(capsys, "refine", folder / "p.json", "--unused", folder / "u.json",
                       "-o", folder / "r.json", "--certificate", folder / "c.cert.json",
                       "--allow-nothing-unused", *extra)
    if code == 2:
        return None
    assert code == 0, err
    code, out, err = run(capsys, "check", folder / "c.cert.json", *extra)
    assert code == 0, out + err
    return code
