"""verify-refine: remove unused actions from AWS IAM policies, and prove the result."""

__version__ = "0.1.0"
