"""verify-refine: remove unused actions from AWS IAM policies, and prove the result.

The library in a few calls (README, "Library use"):

    from verify_refine import load_catalog, load_findings, load_policy, refine_and_prove
    catalog = load_catalog("examples/blog/catalog-2024-10-24.json")
    result = refine_and_prove(load_policy(doc), load_findings(["s3:GetBucketAcl"], catalog),
                              catalog)
    print(result.text if result.proved else result.problems)
"""

__version__ = "0.1.0"

# Where each public name lives. They are imported on first use (PEP 562), so that running the
# command line, or importing one sub-package, does not load the whole library first.
_HOME = {
    "load_policy": "api", "load_findings": "api", "load_catalog": "api",
    "refine_and_prove": "api", "check_certificate": "api", "verify": "api",
    "verify_recommendation": "api",
    "ProvedRefinement": "pipeline", "CertificateCheck": "pipeline", "StepResult": "pipeline",
    "VerifyResult": "prove.whole", "Verdict": "verdict", "Problem": "verdict", "Exit": "verdict",
    "Policy": "inputs.model", "UnusedSet": "inputs.findings", "Catalog": "inputs.catalog",
    "InputError": "errors", "UsageError": "errors",
}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'verify_refine' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


__all__ = [
    "__version__",
    # load the inputs
    "load_policy", "load_findings", "load_catalog",
    # prove
    "refine_and_prove", "check_certificate", "verify", "verify_recommendation",
    # results
    "ProvedRefinement", "CertificateCheck", "VerifyResult", "StepResult", "Verdict", "Problem",
    "Exit", "Policy", "UnusedSet", "Catalog",
    # errors: str() is the one-line message, with file:line:column where there is one
    "InputError", "UsageError",
]
