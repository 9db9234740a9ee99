"""What every command promises a user, through the real command line (issue 11, item 8): help
for every option and a README that shows it; a missing optional package, a misused option, an
output that would overwrite an input, a file of another kind, standard input and output, and
Ctrl-C, each ending in one clear line (or the result), the right exit code, no traceback and
nothing half-written."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import (
    BLOG,
    BLOG_CATALOG,
    ROOT,
    files_under,
    inline_account,
    one_line_error,
    policy_doc,
    write_json,
)
from tests.helpers import script as run_script
from verify_refine.cli import build_parser, usage

REFINE = ["refine", BLOG / "policy.json", "--unused", BLOG / "unused.json",
          "--catalog", BLOG_CATALOG]


def script(*argv, **options) -> subprocess.CompletedProcess:
    """`python -m verify_refine ARGS`, a fresh process (the module entry point users also run)."""
    return run_script(*argv, module=True, **options)


# ------------------------------------------------------------------ help and the README


def all_parsers():
    stack = [build_parser()]
    while stack:
        parser = stack.pop()
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())


def test_every_option_and_argument_has_help():
    missing = [f"{parser.prog} {action.dest}" for parser in all_parsers()
               for action in parser._actions
               if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))
               and not (action.help or "").strip()]
    assert missing == []


def test_the_readme_usage_block_is_what_help_prints():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Usage\n\n```sh\n", 1)[1].split("```", 1)[0]
    assert block == usage(), "regenerate with: python -c 'from verify_refine.cli import " \
                             "usage; print(usage(), end=\"\")'"


# ------------------------------------------------------------------ optional packages


@pytest.fixture
def without(tmp_path):
    """An environment in which some packages cannot be imported (a site hook that hides them,
    as on a machine where they were never installed)."""
    def make(*modules: str) -> dict:
        hook = tmp_path / "hide"
        hook.mkdir(exist_ok=True)
        (hook / "sitecustomize.py").write_text(
            "import sys\n"
            f"HIDDEN = {set(modules)!r}\n"
            "class Hide:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in HIDDEN:\n"
            "            raise ModuleNotFoundError(f'No module named {name!r}')\n"
            "sys.meta_path.insert(0, Hide())\n")
        return dict(os.environ, PYTHONPATH=str(hook))
    return make


@pytest.mark.parametrize("argv, module", [
    (["check", ROOT / "proofs" / "blog.cert.json", "--solver", "cvc5"], "cvc5"),
    (["gate", ROOT / "proofs", "--solver", "cvc5"], "cvc5"),
    (["compare", "--corpus", ROOT / "tests" / "fixtures" / "compare", "--unused-fraction",
      "0.3", "--out", "{out}"], "matplotlib"),
    (["compare", "--corpus", ROOT / "tests" / "fixtures" / "compare", "--unused-fraction",
      "0.3", "--out", "{out}", "--strategies", "token-trie,policyuniverse"], "policyuniverse"),
])
def test_a_missing_optional_package_is_one_line_before_any_work(tmp_path, without, argv,
                                                                 module):
    out = tmp_path / "out"
    done = script(*[str(a).replace("{out}", str(out)) for a in argv], env=without(module))
    assert done.returncode == 2, done.stderr
    line = one_line_error(done.stderr)
    assert f"needs {module}, which is not installed: pip install '" in line
    assert not out.exists()


# ------------------------------------------------------------------ misused options


@pytest.mark.parametrize("more, message", [
    (["--no-prove", "-o", "{t}/o.json", "--certificate", "{t}/c.json"],
     "refine: --certificate needs a proof; drop --no-prove"),
    (["-o", "-", "--certificate", "{t}/c.json"], "refine: --certificate needs -o FILE"),
    (["--diff", "--format", "json"], "refine: --diff and --format json both print"),
    (["-o", "-", "--diff"], "refine: -o - and --diff both print"),
    (["-o", str(BLOG / "policy.json")], "-o `"),
    (["-o", str(BLOG / "unused.json")], "-o `"),
    (["-o", "{t}/o.json", "--certificate", str(BLOG_CATALOG)], "--certificate `"),
])
def test_misuse_is_a_usage_error_and_writes_nothing(cli, tmp_path, more, message):
    before = {p: p.read_bytes() for p in BLOG.iterdir()}
    code, out, err = cli(*REFINE, *[m.replace("{t}", str(tmp_path)) for m in more])
    assert (code, out) == (2, "")
    assert one_line_error(err).startswith(message)
    assert files_under(tmp_path) == []
    assert {p: p.read_bytes() for p in BLOG.iterdir()} == before  # no input overwritten


def test_an_output_naming_an_input_says_which(cli):
    code, _, err = cli(*REFINE, "-o", BLOG / "unused.json")
    assert code == 2 and "is the findings (--unused): refusing to overwrite an input" in err


def test_compare_needs_a_folder(cli, tmp_path):
    code, _, err = cli("compare", "--corpus", BLOG / "policy.json", "--unused-fraction", "0.3",
                       "--out", tmp_path / "out")
    assert code == 2
    assert one_line_error(err) == f"{BLOG / 'policy.json'}: not a folder of policies (*.json)"


# ------------------------------------------------------------------ files of another kind


@pytest.mark.parametrize("content, what", [
    ({"RoleDetailList": [], "Policies": []}, "get-account-authorization-details' output"),
    ({"findingType": "UnusedPermission", "findingDetails": []}, "Access Analyzer findings"),
    ({"findings": []}, "list-findings-v2 output"),
    ({"recommendedSteps": [], "status": "SUCCEEDED"}, "Access Analyzer's recommendation"),
    ({"format": "verify-refine/certificate", "version": 1}, "a verify-refine certificate"),
    ([{"serviceNamespace": "s3"}], "a list of unused actions"),
])
def test_a_file_of_another_kind_is_named_with_what_reads_it(cli, tmp_path, content, what):
    # CloudFormation templates and Terraform plans are read by refine itself
    # (tests/cli/test_refine_template.py).
    path = write_json(tmp_path / "x.json", content)
    code, out, err = cli("refine", path, "--unused", BLOG / "unused.json", "--catalog",
                         BLOG_CATALOG)
    assert (code, out) == (2, "")
    line = one_line_error(err)
    assert line.startswith(f"{path}: this is ") and what in line and ", not a policy: " in line


# ------------------------------------------------------------------ standard input and output


def test_dash_reads_standard_input_and_writes_standard_output():
    policy = (BLOG / "policy.json").read_text()
    done = script("refine", "-", "--unused", BLOG / "unused.json", "--catalog", BLOG_CATALOG,
                  "-o", "-", input=policy)
    assert done.returncode == 0, done.stderr
    assert "s3:GetAccess*" in json.loads(done.stdout)["Statement"][1]["Action"]
    done = script("refine", BLOG / "policy.json", "--unused", "-", "--catalog", BLOG_CATALOG,
                  input=(BLOG / "unused.json").read_text())
    assert done.returncode == 0, done.stderr
    done = script("refine", "-", "--unused", "-", "--catalog", BLOG_CATALOG, input=policy)
    assert done.returncode == 2
    assert "cannot both read standard input" in done.stderr


# ------------------------------------------------------------------ Ctrl-C


def interrupted(argv, delay: float, cwd: Path) -> subprocess.CompletedProcess:
    """Run a command and send it SIGINT (as Ctrl-C does) after `delay` seconds."""
    proc = subprocess.Popen([sys.executable, "-m", "verify_refine", *map(str, argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            start_new_session=True)  # the group, as a terminal would signal
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def assert_clean_interrupt(done: subprocess.CompletedProcess) -> bool:
    """Exit 130 with the one line `interrupted`, or (when the run had finished) its own code;
    never a solver's unknown, never a traceback. Returns True when it was interrupted."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 130), (done.returncode, done.stderr[-500:])
    if done.returncode == 130:
        assert done.stderr.splitlines()[-1] == "interrupted"
        return True
    return False


@pytest.fixture(scope="module")
def slow_refine(tmp_path_factory) -> Path:
    """`*` with 30% of the installed catalog unused: a few seconds of proving."""
    import random

    from verify_refine import load_catalog

    folder = tmp_path_factory.mktemp("slow")
    catalog = load_catalog()
    actions = [catalog.canonical(a) for a in catalog.with_prefix("")]
    write_json(folder / "unused.json", random.Random(3).sample(actions, len(actions) * 3 // 10))
    write_json(folder / "policy.json", policy_doc("*"))
    return folder


@pytest.mark.parametrize("delay", [0.8, 2.0, 3.5])
def test_ctrl_c_during_refine(slow_refine, tmp_path, delay):
    out, cert = tmp_path / "out.json", tmp_path / "out.cert.json"
    done = interrupted(["refine", slow_refine / "policy.json", "--unused",
                        slow_refine / "unused.json", "-o", out, "--certificate", cert],
                       delay, tmp_path)
    if assert_clean_interrupt(done):
        assert files_under(tmp_path) == []  # no partial output
    else:
        assert out.exists() and cert.exists()


@pytest.fixture(scope="module")
def slow_certificate(slow_refine, tmp_path_factory) -> Path:
    """The slow refinement, certified: the gate takes seconds to re-check it."""
    folder = tmp_path_factory.mktemp("certified")
    for name in ("policy.json", "unused.json"):
        (folder / name).write_bytes((slow_refine / name).read_bytes())
    done = script("refine", folder / "policy.json", "--unused", folder / "unused.json", "-o",
                  folder / "x.refined.json", "--certificate", folder / "x.cert.json")
    assert done.returncode == 0, done.stderr
    return folder


def test_ctrl_c_during_gate(slow_certificate, tmp_path):
    report = tmp_path / "gate.sarif"
    done = interrupted(["gate", slow_certificate, "--root", slow_certificate, "--format",
                        "sarif", "--output", report], 1.5, slow_certificate)
    assert assert_clean_interrupt(done)
    assert not report.exists()


def test_ctrl_c_during_compare_keeps_what_finished(slow_refine, tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    corpus.mkdir()
    (corpus / "a-slow.json").write_bytes((slow_refine / "policy.json").read_bytes())
    for name in ("b.json", "c.json"):
        write_json(corpus / name, policy_doc("s3:Get*", "lambda:List*"))
    done = interrupted(["compare", "--corpus", corpus, "--unused-fraction", "0.3", "--out", out,
                        "--jobs", "2", "--strategies", "token-trie,naive"], 2.5, tmp_path)
    if assert_clean_interrupt(done):  # the small policies' rows, not the slow one's
        rows = (out / "results.csv").read_text().splitlines()
        assert rows[0].startswith("policy,") and not any(
            r.startswith("a-slow.json,") for r in rows)


@pytest.mark.slow
def test_ctrl_c_during_batch_keeps_what_finished(slow_refine, tmp_path):
    findings, out = tmp_path / "findings", tmp_path / "out"
    document = json.loads((slow_refine / "policy.json").read_text())
    unused = json.loads((slow_refine / "unused.json").read_text())  # one set a role:
    auth = inline_account(tmp_path, {f"role-{n}": (document, unused[n:])  # three proofs
                                     for n in range(3)})
    done = interrupted(["batch", auth, "--findings", findings, "-o", out, "--jobs", "1"], 8.0,
                       tmp_path)
    assert assert_clean_interrupt(done)  # three policies of seconds each cannot be done in 8 s
    summary = (out / "summary.csv").read_text()
    assert "not run: interrupted" in summary and len(summary.splitlines()) == 4  # a row each
