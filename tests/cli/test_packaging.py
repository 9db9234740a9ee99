"""The built wheel carries the grammar and runs the worked example without the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from tests.helpers import ROOT


def test_wheel_has_grammar_and_runs_without_source_tree(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("verify_refine-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "verify_refine/grammar/policy.lark" in names
        assert zf.read("verify_refine/grammar/policy.lark") == (
            ROOT / "grammar/policy.lark").read_bytes()
        zf.extractall(tmp_path / "site")
    example = ROOT / "examples" / "blog"
    code = (
        "import sys, verify_refine, verify_refine.inputs.jsontext as p\n"
        "assert verify_refine.__file__.startswith(sys.argv[1]), verify_refine.__file__\n"
        "from verify_refine.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "site"), "refine",
         str(example / "policy.json"), "--unused", str(example / "unused.json"),
         "--catalog", str(example / "catalog-2024-10-24.json")],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    refined = json.loads(run.stdout)
    expected = json.loads((example / "expected-2024.json").read_text())
    assert [sorted(s["Action"]) for s in refined["Statement"]] == [
        sorted(s["Action"]) for s in expected["Statement"]]
