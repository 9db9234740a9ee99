"""The comparison harness: draw unused sets, run every strategy, judge every output with the
same prover, and write results.csv, summary.md and the plots."""

from __future__ import annotations

import csv
import multiprocessing
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from .. import pipeline, workers
from ..errors import InputError
from ..files import finishing
from ..inputs.catalog import Catalog
from ..inputs.findings import UnusedSet
from ..inputs.model import Policy
from ..inputs.policy import parse_policy
from ..jsonout import dumps
from ..report import exposure as exposure_mod
from ..report.size import LIMITS, iam_size
from ..spec.glob import fold, has_wildcard, literal_head
from ..spec.languages import fast_match, includes
from ..spec.tokens import token_parent, token_prefixes
from ..verdict import Verdict
from . import strategies as strat

COLUMNS = ("policy", "strategy", "fraction", "seed", "unused", "entries", "size",
           "over_managed", "over_role_inline", "over_user_inline", "over_group_inline",
           "sound", "removes", "complete", "minimal", "verdict", "counterexample",
           "refine_seconds", "prove_seconds", "exposure", "note")
TIMING = ("refine_seconds", "prove_seconds")
PROPS = ("sound", "removes", "complete")


@dataclass
class Context:
    catalog: Catalog
    old: Catalog | None
    fraction: float
    seed: int | str
    strategies: tuple[str, ...]
    timeout_s: float


# ---------------------------------------------------------------- the unused draw


def allowed_actions(policy: Policy, catalog: Catalog) -> list[str]:
    """Folded catalog actions some Allow statement of the policy grants, sorted."""
    out: set[str] = set()
    everything = None
    for stmt in policy.statements:
        if stmt.effect != "Allow" or stmt.action_key is None:
            continue
        if stmt.action_key == "Action":
            for p in stmt.patterns:
                out.update(catalog.matching(p.text))
        else:
            everything = everything or catalog.with_prefix("")
            out.update(a for a in everything
                       if not any(fast_match(p.text, a) for p in stmt.patterns))
    return sorted(out)


def draw_unused(policy: Policy, catalog: Catalog, fraction: float, seed, name: str) -> UnusedSet:
    """A fraction of the catalog actions the policy allows, reproducible from (seed, name)."""
    pool = allowed_actions(policy, catalog)
    k = round(fraction * len(pool))
    picked = sorted(random.Random(f"{seed}:{name}").sample(pool, k))
    return UnusedSet(actions=tuple(catalog.canonical(a) for a in picked), services=(),
                     unknown=())


# ---------------------------------------------------------------- judging one output


def judge(original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog,
          timeout_s: float) -> dict:
    """Each of sound, removes and complete checked on its own: "true", "false" or "unknown"."""
    results = pipeline.verify_each(original, refined, unused, catalog, timeout_s=timeout_s)
    out: dict = {"counterexample": ""}
    for prop in PROPS:
        found = results[prop]
        if found.status == Verdict.REFUTED:
            out[prop] = "false"
            if not out["counterexample"]:
                out["counterexample"] = f"{prop}: {found.action} on {found.resource}"
        else:
            out[prop] = "true" if found.status == Verdict.PROVED else "unknown"
    values = [out[p] for p in PROPS]
    out["verdict"] = ("refuted" if "false" in values else
                      "unknown" if "unknown" in values else "proved")
    return out


def minimal(original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog) -> str:
    """The token rule, evaluated without a solver: every wildcard of the output that the
    original did not have, with q its literal head, has q a token prefix of a catalog action it
    matches, and its token parent unsafe (lang(original pattern) ∩ token_parent(q)·Σ* holds an
    unused action). "n/a" when the output has no new wildcard."""
    old_texts = {fold(p.text) for s in original.statements for p in s.patterns}
    origins = [p.text for s in original.statements if s.effect == "Allow"
               and s.action_key == "Action" for p in s.patterns if has_wildcard(p.text)]
    unused_folded = sorted(fold(a) for a in unused.actions)
    services = {fold(s) for s in unused.services}
    new = [p.text for s in refined.statements if s.effect == "Allow"
           and s.action_key == "Action" for p in s.patterns
           if has_wildcard(p.text) and fold(p.text) not in old_texts]
    if not new:
        return "n/a"
    for entry in new:
        q = fold(literal_head(entry))
        parent = None
        for a in catalog.matching(entry):  # token prefixes of the catalog's spelling
            folded = [fold(t) for t in token_prefixes(catalog.canonical(a))]
            if q in folded:
                parent = fold(token_parent(catalog.canonical(a)[:len(q)]))
                break
        if parent is None:
            return "false"
        if not any(_unused_meets(o, parent, unused_folded, services, catalog)
                   for o in origins if includes(entry, o)):
            return "false"
    return "true"


def _unused_meets(pattern: str, prefix: str, unused: list[str], services: set[str],
                  catalog: Catalog) -> bool:
    if any(u.startswith(prefix) and fast_match(pattern, u) for u in unused):
        return True
    return any(a.startswith(prefix) and fast_match(pattern, a)
               for s in services for a in catalog.with_prefix(s + ":"))


# ---------------------------------------------------------------- one policy


def entry_count(doc: dict) -> int:
    stmts = doc.get("Statement", [])
    stmts = stmts if isinstance(stmts, list) else [stmts]
    n = 0
    for s in stmts:
        for key in ("Action", "NotAction"):
            value = s.get(key) if isinstance(s, dict) else None
            if value is not None:
                n += len(value) if isinstance(value, list) else 1
    return n


def prepared(name: str, data: bytes, ctx: Context) -> tuple[Policy, UnusedSet] | None:
    """A policy file's policy and its unused draw; None when it does not parse."""
    try:
        original = parse_policy(data, name)
    except (InputError, ValueError):
        return None
    return original, draw_unused(original, ctx.catalog, ctx.fraction, ctx.seed, name)


def strategy_row(name: str, original: Policy, unused: UnusedSet, sname: str,
                 ctx: Context) -> dict:
    """One strategy's row for one policy: its output refined, measured and judged."""
    row = {c: "" for c in COLUMNS}
    row.update(policy=name, strategy=sname, fraction=ctx.fraction, seed=ctx.seed,
               unused=len(unused.actions), note=strat.NOTES.get(sname, ""))
    start = time.perf_counter()
    try:
        doc = strat.STRATEGIES[sname](original, ctx.catalog, unused)
    except strat.Skipped as exc:
        row.update(verdict="skipped", note=str(exc))
        return row
    row["refine_seconds"] = f"{time.perf_counter() - start:.4f}"
    text = dumps(doc)
    size = iam_size(text)
    row.update(entries=entry_count(doc), size=size)
    for kind, limit in LIMITS.items():
        row["over_" + kind.replace(" ", "_")] = str(size > limit).lower()
    refined = parse_policy(text.encode(), f"{name} ({sname})", allow_empty=True)
    start = time.perf_counter()
    try:
        row.update(judge(original, refined, unused, ctx.catalog, ctx.timeout_s))
    except Exception as exc:  # noqa: BLE001 - one bad judgement must not stop the run
        row.update(sound="unknown", removes="unknown", complete="unknown",
                   verdict="unknown", note=f"prover error: {exc}")
    row["prove_seconds"] = f"{time.perf_counter() - start:.4f}"
    row["minimal"] = minimal(original, refined, unused, ctx.catalog)
    if ctx.old is not None:
        row["exposure"] = len(exposure_mod.exposure(refined, ctx.catalog, ctx.old).admitted)
    return row


def run_policy(path: str, ctx: Context) -> list[dict] | None:
    """Every strategy's row for one policy file; None when it does not parse."""
    name = Path(path).name
    got = prepared(name, Path(path).read_bytes(), ctx)
    if got is None:
        return None
    return [strategy_row(name, *got, sname, ctx) for sname in ctx.strategies]


# ---------------------------------------------------------------- the whole corpus


def compare(corpus_dir, fraction: float, seed, strategies, jobs: int, out_dir,
            old_catalog: Catalog | None = None, catalog: Catalog | None = None,
            timeout_s: float = pipeline.DEFAULT_TIMEOUT_S, plots: bool = True,
            scheduler: str | None = None) -> dict:
    """Run the comparison (in this process for one job, else in `jobs` worker processes, or
    on the Dask cluster of `scheduler`); write results.csv, summary.md and the PNG plots
    into out_dir. Returns {"rows", "policies", "skipped", "out"}."""
    from ..inputs import catalog as catalog_mod
    if catalog is None:
        catalog = catalog_mod.load(None)
    unknown = [s for s in strategies if s not in strat.STRATEGIES]
    if unknown:
        raise InputError(f"unknown strateg{'y' if len(unknown) == 1 else 'ies'} "
                         f"{', '.join(unknown)} (choose from {', '.join(strat.ORDER)})",
                         "--strategies")
    files = sorted(p for p in Path(corpus_dir).glob("*.json") if p.name != "INDEX.json")
    ctx = Context(catalog, old_catalog, fraction, seed, tuple(strategies), timeout_s)
    paths = [str(p) for p in files]
    done: dict[str, list[dict] | None] = {}  # path -> rows (None: did not parse)
    try:
        _run(paths, ctx, jobs, scheduler, done)
    finally:  # on Ctrl-C too: what finished is written, then the interrupt goes on up
        rows = [r for p in paths if done.get(p) for r in done[p]]
        skipped = [Path(p).name for p in paths if p in done and done[p] is None]
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        _write(out, rows, strategies, [p for p in paths if done.get(p)], skipped, fraction,
               seed, catalog, old_catalog, plots)
    return {"rows": rows, "policies": len(done) - len(skipped), "skipped": skipped, "out": out}


def _run(paths: list[str], ctx: Context, jobs: int, scheduler: str | None,
         done: dict) -> None:
    """Each policy's rows into `done` as it finishes: one task per (policy, strategy) on the
    Dask cluster of `scheduler`; else here for one job (or one policy), else in `jobs` forked
    worker processes that leave Ctrl-C to this one (a local Dask cluster measured slower:
    docs/PERFORMANCE.md)."""
    if scheduler:
        from . import on_dask
        on_dask.run_all(paths, ctx, scheduler, jobs, done)
        return
    if jobs == 1 or len(paths) < 2:
        for path in paths:
            done[path] = run_policy(path, ctx)
        return
    with workers.forking():  # the pool forks its workers (and any replacement) here
        pool = multiprocessing.get_context("fork").Pool(jobs, _start_worker, (ctx,))
    try:
        for path, result in pool.imap_unordered(_tagged, paths, chunksize=1):
            done[path] = result
        pool.close()
    finally:
        pool.terminate()
        pool.join()


_CTX: Context | None = None  # a forked worker's context, set as it starts


def _start_worker(ctx: Context) -> None:
    global _CTX
    workers.start()  # Ctrl-C is the parent's to handle
    _CTX = ctx


def _tagged(path: str):
    return path, run_policy(path, _CTX)


def _write(out, rows, strategies, parsed, skipped, fraction, seed, catalog, old, plots):
    """results.csv, summary.md and the plots of the policies that finished."""
    with finishing():
        write_csv(rows, out / "results.csv")
        sizes = {Path(p).name: iam_size(Path(p).read_text(encoding="utf-8", errors="replace"))
                 for p in parsed}
        (out / "summary.md").write_text(
            summary(rows, strategies, len(parsed), skipped, fraction, seed, catalog, old),
            encoding="utf-8")
        if plots:
            from . import plots as plots_mod
            plots_mod.write_all(rows, strategies, sizes, out, with_exposure=old is not None)


def write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summary(rows, strategies, policies, skipped, fraction, seed, catalog, old) -> str:
    lines = [f"# Comparison: {policies} policies, {fraction:.0%} unused, seed {seed}", "",
             f"Catalog: {catalog.label}." + (f" Exposure since: {old.label}." if old else ""),
             f"Files that did not parse (skipped): {len(skipped)}"
             + (f" ({', '.join(skipped)})" if skipped else "") + ".", "",
             "| strategy | policies | size median | size p90 | size total | entries median | "
             "entries p90 | entries total | over managed | over role inline | over user inline "
             "| over group inline | sound=false | removes=false | complete=false | unknown | "
             "minimal=true | minimal=false | refine median s | prove median s | exposure total |",
             "|" + "---|" * 21]
    for s in strategies:
        rs = [r for r in rows if r["strategy"] == s and r["verdict"] != "skipped"]
        if not rs:
            note = next((r["note"] for r in rows if r["strategy"] == s), "")
            lines.append(f"| {s} | 0 | skipped: {note} |" + " |" * 18)
            continue
        measured = [r for r in rs if r["size"] != ""]  # not a task that failed (unknown)
        size = [float(r["size"]) for r in measured]
        ent = [float(r["entries"]) for r in measured]
        cnt = lambda k, v: sum(1 for r in rs if str(r[k]) == v)  # noqa: E731
        exp = (str(sum(int(r["exposure"]) for r in measured))
               if measured and measured[0]["exposure"] != "" else "n/a")
        lines.append(
            f"| {s} | {len(rs)} | {_median(size):.0f} | {_pct(size, .9):.0f} | "
            f"{sum(size):.0f} | {_median(ent):.0f} | {_pct(ent, .9):.0f} | "
            f"{sum(ent):.0f} | "
            + " | ".join(str(cnt("over_" + k.replace(" ", "_"), "true")) for k in LIMITS)
            + f" | {cnt('sound', 'false')} | {cnt('removes', 'false')} | "
            f"{cnt('complete', 'false')} | {cnt('verdict', 'unknown')} | "
            f"{cnt('minimal', 'true')} | {cnt('minimal', 'false')} | "
            f"{_median([float(r['refine_seconds']) for r in measured]):.4f} | "
            f"{_median([float(r['prove_seconds']) for r in measured]):.4f} | {exp} |")
    notes = sorted({(r["strategy"], r["note"]) for r in rows if r["note"]})
    if notes:
        lines += ["", "Notes:", ""] + [f"- {s}: {n}" for s, n in notes]
    return "\n".join(lines) + "\n"
