"""What a batch over infrastructure code writes: each source file whose refined policies all
proved, rewritten in one splice (in place, or as a copy under OUTDIR/source/ with the other
Terraform files of its folder beside it), the findings each policy was refined by, and a
certificate per proved policy under OUTDIR/certs/."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..batch import outpaths
from ..iac import extract, refining
from .refine_iac import certificate_stem

PROVED = ("proved", "detach")


def outputs(plans, sources, outdir: Path, args) -> dict[str, str | bytes]:
    """Every file to write (path -> text or bytes), and each plan's row told whether (and
    where) its policy was written. A file with a policy that is not proved is not rewritten:
    its proved policies get no certificate (a certificate names the refined file)."""
    by_file: dict[str, list] = {}
    for plan in plans:
        by_file.setdefault(plan.found.path, []).append(plan)
    texts: dict[str, str] = {}
    for path, group in by_file.items():
        failed = [p.found.address for p in group if p.row["verdict"] not in PROVED]
        if failed:
            _not_written(group, f"no: {', '.join(failed)} of this file not proved")
            continue
        try:
            texts.update(refining.rewritten([p.result for p in group]))
        except refining.NotHeld as error:
            _not_written(group, "no", error=str(error), verdict="error")
    out: dict[str, str | bytes] = {}
    for plan in plans:
        out.update(plan.files)
    copies = {} if args.in_place else _copies(sources, texts, outdir)
    out.update(texts if args.in_place else copies)
    stems = _stems(plans)
    for plan in plans:
        if plan.row["written"] == "" and plan.result is not None:
            refined = plan.found.path if args.in_place else _copy_name(outdir, plan.found.path)
            plan.row["written"] = "in place" if args.in_place else \
                os.path.relpath(refined, outdir)
            if not plan.result.detach:
                out.update(_certificate(plan, stems[id(plan)], refined, outdir, args))
    return out


def _not_written(group, written: str, *, error: str = "", verdict: str = "") -> None:
    for plan in group:
        plan.row["written"] = written
        if error:
            plan.row.update(error=error, verdict=verdict)


def _copy_name(outdir: Path, path: str) -> str:
    return str(outpaths.inside(outdir, "source", outpaths.component(os.path.basename(path))))


def _copies(sources, texts: dict[str, str], outdir: Path) -> dict[str, str]:
    """A copy under OUTDIR/source/ of each source file (rewritten when it proved), and of the
    other .tf files of a Terraform source's folder: the Terraform reader reads a folder, so a
    policy document used from another file is read from the copy as from the source."""
    out = {}
    for source in sources:
        out[_copy_name(outdir, source.path)] = texts.get(source.path, source.text)
        if source.path.endswith(".tf"):
            folder = os.path.dirname(source.path) or "."
            for name in sorted(os.listdir(folder)):
                other = os.path.join(folder, name)
                if name.endswith(".tf") and _copy_name(outdir, other) not in out:
                    out[_copy_name(outdir, other)] = Path(other).read_text(encoding="utf-8")
    return out


def _stems(plans) -> dict[int, str]:
    """Each plan's certificate name stem, as refine names it (`app.AppRole.Policies.0`); the
    whole file name instead of its stem when two files of a folder share a stem (`app.yaml`
    and `app.json`), so that no certificate overwrites another."""
    plain = {id(p): certificate_stem(p.found.path, p.found.address) for p in plans}
    seen: dict[str, set[str]] = {}
    for plan in plans:
        seen.setdefault(plain[id(plan)], set()).add(plan.found.path)
    return {id(p): outpaths.component(plain[id(p)] if len(seen[plain[id(p)]]) == 1 else
                                      os.path.basename(p.found.path)
                                      + certificate_stem("", p.found.address))
            for p in plans}


def _certificate(plan, stem: str, refined: str, outdir: Path, args) -> dict[str, str]:
    """A proved policy's certificate (and, in place, its original as extracted, which the
    source no longer holds): path -> text."""
    found = plan.found
    cert_path = str(outpaths.inside(outdir, "certs", f"{stem}.cert.json"))
    out: dict[str, str] = {}
    addresses = {"original": found.address, "refined": found.address}
    original = found.path
    if args.in_place:
        original = str(outpaths.inside(outdir, "certs", f"{stem}.original.json"))
        out[original] = extract.policy_text(found)
        del addresses["original"]
    cert = plan.result.done.certificate(cert_path=cert_path, original_path=original,
                                        unused_path=plan.unused_path, refined_path=refined,
                                        catalog_path=args.catalog)
    cert = {**{k: v for k, v in cert.items() if k != "sha256"}, "addresses": addresses,
            "sha256": cert["sha256"]}
    out[cert_path] = json.dumps(cert, indent=1, ensure_ascii=False) + "\n"
    plan.row["certificate"] = os.path.relpath(cert_path, outdir)
    return out
