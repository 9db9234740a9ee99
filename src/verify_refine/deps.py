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
    "ruamel.yaml": ("ruamel.yaml>=0.18", "iac"),
}


def require(module: str, needed_for: str) -> None:
    """Usage error naming the missing package and how to install it."""
    try:
        importlib.import_module(module)
        return
    except ImportError:
        pass
    requirement, extra = OPTIONAL[module]
    raise UsageError(f"{needed_for} needs {module}, which is not installed: pip install "
                     f"'{requirement}' (or, in a clone of verify-refine, pip install -e "
                     f"'.[{extra}]')")
