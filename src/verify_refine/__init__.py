"""verify-refine: remove unused actions from AWS IAM policies, and prove the result.

The library in a few calls (README, "Library use"):

    from verify_refine import load_catalog, load_findings, load_policy, refine_and_prove
    catalog = load_catalog("examples/blog/catalog-2024-10-24.json")
    result = refine_and_prove(load_policy(doc), load_findings(["s3:GetBucketAcl"], catalog),
                              catalog)
    print(result.text if result.proved else result.problems)
"""

__version__ = "0.1.0"

from .api import (  # noqa: E402
                  check_certificate,
                  load_catalog,
                  load_findings,
                  load_policy,
                  refine_and_prove,
                  verify,
                  verify_recommendation,
)
from .errors import InputError, UsageError  # noqa: E402
from .inputs.catalog import Catalog  # noqa: E402
from .inputs.findings import UnusedSet  # noqa: E402
from .inputs.model import Policy  # noqa: E402
from .pipeline import CertificateCheck, ProvedRefinement, StepResult  # noqa: E402
from .prove.whole import VerifyResult  # noqa: E402
from .verdict import Exit, Problem, Verdict  # noqa: E402

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
