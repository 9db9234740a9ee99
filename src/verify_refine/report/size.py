"""Policy size as IAM counts it (whitespace excluded) against IAM's limits per kind of policy."""

from __future__ import annotations

LIMITS = {  # characters, whitespace not counted (IAM and STS quotas)
    "managed": 6144,
    "role inline": 10240,
    "user inline": 2048,
    "group inline": 5120,
}


def iam_size(text: str) -> int:
    """Characters of a policy's JSON text that IAM counts: every one but whitespace."""
    return sum(map(len, text.split()))  # split() cuts at exactly the str.isspace() characters


def overflows(size: int) -> dict[str, int]:
    """For each kind of policy this size does not fit: by how many characters it is over."""
    return {kind: size - limit for kind, limit in LIMITS.items() if size > limit}


def line(size: int) -> str:
    fits = [kind for kind, limit in LIMITS.items() if size <= limit]
    return (f"size: {size:,} characters as IAM counts them (whitespace excluded); fits "
            + (", ".join(f"{kind} ({LIMITS[kind]:,})" for kind in fits) if fits else "no kind"))


def warnings(size: int) -> list[str]:
    return [f"the refined policy is {size:,} characters, {over:,} over the {kind} policy limit "
            f"of {LIMITS[kind]:,}" for kind, over in overflows(size).items()]
