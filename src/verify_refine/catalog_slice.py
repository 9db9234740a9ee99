"""The catalog slice a certificate carries: built from the catalog its obligations read, read back
as the catalog a check re-proves over, bound by its hash, and an edit of it located."""

from __future__ import annotations

import hashlib

from .inputs.catalog import Catalog, canonical_export_bytes
from .spec.glob import fold
from .verdict import Problem

CERTIFICATE = "VR-certificate"
SLICE = ("catalog", "slice")


def digest(slice_: dict) -> str:
    """The sha256 a certificate binds its slice with: of the slice as `catalog export` writes
    it (services in order, each with its sorted action names)."""
    return hashlib.sha256(canonical_export_bytes(slice_)).hexdigest()


def build(catalog: Catalog, services) -> dict:
    """Every action name, in the catalog's spelling and order, of each service the obligations
    read: the slice a certificate embeds."""
    folded = {fold(s) for s in services}
    return {svc: list(names) for svc, names in catalog.sorted_services().items()
            if fold(svc) in folded}


def today(catalog: Catalog, services) -> tuple[dict, str]:
    """build(catalog, services) and its digest, computed once per catalog and list of services
    (a cache's entries re-checked in a batch ask for the same few slices again and again);
    the slice returned is shared: read it, do not change it."""
    given = tuple(services)
    known = catalog.slices.get(given)
    if known is None:
        slice_ = build(catalog, given)
        known = catalog.slices[given] = (slice_, digest(slice_))
    return known


def catalog_of(cert: dict) -> Catalog:
    """The catalog a certificate's obligations are re-derived over: its embedded slice (whose
    shape certificate.read has checked). It is named by its hash, never by the recorded name
    and version, which are informational."""
    section = cert["catalog"]
    recorded = section["slice_sha256"]
    return Catalog(name="the certificate's catalog slice", version=f"sha256:{recorded[:12]}",
                   date=None,
                   services={svc: tuple(names) for svc, names in section["slice"].items()})


def problems(cert: dict, services, current: Catalog | None) -> list[Problem]:
    """Why the embedded slice is not the one the certificate was made with: its bytes do not
    hash to `catalog.slice_sha256` (located at the edit when `current` holds the slice that
    hash names), or it holds a service the obligations do not read."""
    section = cert["catalog"]
    slice_, recorded = section["slice"], section["slice_sha256"]
    if digest(slice_) != recorded:
        at, detail = _edit(slice_, recorded, current)
        return [Problem(CERTIFICATE, "the catalog slice the certificate carries does not hash "
                        f"to catalog.slice_sha256: {detail}", certificate_at=at)]
    folded = {fold(s) for s in services}
    extra = [svc for svc in slice_ if fold(svc) not in folded]
    if extra:
        return [Problem(CERTIFICATE, f"catalog.slice holds {', '.join(extra)}, which the "
                        "obligations do not read", certificate_at=(*SLICE, extra[0]))]
    return []


def names_in(catalog: Catalog, service: str) -> list[str] | None:
    """A service's action names in a catalog, sorted as a slice holds them (None: no such
    service)."""
    names = catalog.services.get(service)
    if names is None:
        names = next((v for k, v in catalog.services.items() if fold(k) == fold(service)), None)
    return None if names is None else sorted(names, key=fold)


def _edit(slice_: dict, recorded: str, current: Catalog | None) -> tuple[tuple, str]:
    """Where the slice was edited and what changed there, found against `current` when its
    names for the same services hash to the recorded value; else the hash itself."""
    unknown = ((*SLICE[:1], "slice_sha256"), "the slice or the hash was edited")
    if current is None:
        return unknown
    reference = {svc: names_in(current, svc) for svc in slice_}
    if None in reference.values() or digest(reference) != recorded:
        return unknown
    for svc, names in slice_.items():
        want = reference[svc]
        if names == want:
            continue
        i = next((k for k, (a, b) in enumerate(zip(names, want)) if a != b),
                 min(len(names), len(want)))
        shown = f"{current.label}, whose names for these services have the recorded hash,"
        if i >= len(names) or names == want[:i] + want[i + 1:]:
            detail = f"the {svc} list lacks \"{want[i]}\" here; {shown} lists it"
        elif i >= len(want):
            detail = f"the {svc} list has \"{names[i]}\" here, which {shown} does not list"
        else:
            detail = f"the {svc} list has \"{names[i]}\" here where {shown} has \"{want[i]}\""
        return (*SLICE, svc, i) if i < len(names) else (*SLICE, svc), detail
    return unknown
