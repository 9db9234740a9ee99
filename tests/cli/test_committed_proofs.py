"""The committed example certificates match the schema and re-check, with z3 and with cvc5."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ROOT
from verify_refine.cli import main

CERTS = sorted((ROOT / "proofs").glob("*.cert.json"))


def test_there_are_committed_certificates():
    assert {c.name for c in CERTS} >= {"blog.cert.json", "deployer.cert.json",
                                       "analyst.cert.json"}


@pytest.mark.parametrize("cert", CERTS, ids=lambda p: p.name)
def test_matches_schema(cert):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "proofs" / "certificate.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(cert.read_text()), schema)


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
@pytest.mark.parametrize("cert", CERTS, ids=lambda p: p.name)
def test_rechecks(cert, solver, capsys):
    if solver == "cvc5":
        pytest.importorskip("cvc5")
    assert main(["check", str(cert), "--solver", solver]) == 0, capsys.readouterr().err
    assert "valid" in capsys.readouterr().out
