"""Optional dependencies, checked before any work starts: a missing one is one line with a
hint that works on a fresh machine, exit 2."""

from __future__ import annotations

import importlib

from .errors import UsageError

# module -> (the pip requirement, the extra of this project that holds it)
OPTIONAL = {
    "boto3": ("boto3>=1.34", "aws"),
    "cvc5": ("cvc5==1.4.2", "cvc5"),
    "matplotlib": ("matplotlib>=3.8", "compare"),
    "policyuniverse": ("policyuniverse>=1.5", "compare"),
    "tree_sitter": ("tree-sitter>=0.26,<0.27", "iac"),
    "tree_sitter_hcl": ("tree-sitter-hcl==1.2.0", "iac"),
    "ruamel.yaml": ("ruamel.yaml>=0.18", "iac"),
}


def require(module: str, needed_for: str) -> None:
    """Usage error naming the missing package and how to install it."""
    require_all((module,), needed_for)


def require_all(modules: tuple[str, ...], needed_for: str) -> None:
    """Usage error naming every missing package of modules, with one install line for all."""
    missing = [module for module in modules if not _installed(module)]
    if not missing:
        return
    requirements = " ".join(f"'{OPTIONAL[module][0]}'" for module in missing)
    extras = ",".join(dict.fromkeys(OPTIONAL[module][1] for module in missing))
    verb = "is" if len(missing) == 1 else "are"
    raise UsageError(f"{needed_for} needs {' and '.join(missing)}, which {verb} not installed: "
                     f"pip install {requirements} (or, in a clone of verify-refine, pip install "
                     f"-e '.[{extras}]')")


def _installed(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
