"""The architecture as docs/DESIGN.md section 5 states it, held by the source itself: small modules
and functions, a docstring for each module, and the boundaries between the packages."""

from __future__ import annotations

import ast

import pytest

from tests.helpers import ROOT

PACKAGE = ROOT / "src" / "verify_refine"
MODULES = sorted(PACKAGE.rglob("*.py"))
KERNEL = PACKAGE / "prove" / "kernel.py"  # keeps its shape on purpose (its docstring says so)


def name_of(path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path) -> set[str]:
    """Every module PATH imports, absolute, at any depth of its code (not those imported only
    for type annotations, under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = name_of(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                   for stmt in block.body for n in ast.walk(stmt)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def importers(prefixes: tuple[str, ...]) -> set[str]:
    """The modules of the package that import anything under one of PREFIXES."""
    return {name_of(p) for p in MODULES
            if any(i == x or i.startswith(x + ".") for i in imports(p) for x in prefixes)}


def test_there_are_modules():
    assert len(MODULES) > 50


@pytest.mark.parametrize("path", MODULES, ids=name_of)
def test_small_modules_with_a_docstring(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400, f"{path.name}: over 400 lines"
    tree = ast.parse(text)
    assert ast.get_docstring(tree), f"{name_of(path)} has no module docstring"
    if path == KERNEL:
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 60, f"{name_of(path)}.{node.name}: {length} lines"


def test_the_refiner_and_the_prover_never_import_each_other():
    assert not {m for m in importers(("verify_refine.prove",))
                if m.startswith("verify_refine.refine")}
    assert not {m for m in importers(("verify_refine.refine",))
                if m.startswith("verify_refine.prove")}


def test_lark_only_in_the_json_reader():
    assert importers(("lark",)) == {"verify_refine.inputs.jsontext"}


def test_tree_sitter_only_in_the_hcl_reader():
    assert importers(("tree_sitter", "tree_sitter_hcl")) == {"verify_refine.iac.hcl_tree"}
def test_ruamel_yaml_only_in_the_cloudformation_yaml_reader():
    assert importers(("ruamel",)) == {"verify_refine.iac.cfn_yaml"}


def test_solvers_only_under_the_prover():
    users = importers(("z3", "cvc5"))
    assert users and all(m.startswith("verify_refine.prove") for m in users), users


def test_boto3_only_in_the_aws_package():
    """`pull` alone talks to AWS; every other command works without the aws extra."""
    users = importers(("boto3", "botocore"))
    assert users and all(m.startswith("verify_refine.aws") for m in users), users


def test_the_pipeline_is_the_only_caller_of_the_prover_and_the_kernel():
    callers = importers(("verify_refine.prove.prover", "verify_refine.prove.kernel",
                         "verify_refine.prove.kernel_call"))
    outside = {m for m in callers if not m.startswith(("verify_refine.prove",
                                                         "verify_refine.testing"))}
    assert outside == {"verify_refine.pipeline"}, outside


def test_the_certificate_checker_never_reaches_the_refiner():
    for module in ("verify_refine.certificate", "verify_refine.gate"):
        assert not any(i.startswith("verify_refine.refine") or i.startswith(".refine")
                       for p in MODULES if name_of(p).startswith(module) for i in imports(p))
