"""`python -m verify_refine`: the same command as `verify-refine`."""

from .console import entry_point

entry_point()
