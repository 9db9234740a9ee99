"""Two solvers on the same obligations: z3 and cvc5 answers compared, witnesses judged, and the
Markdown report of benchmarks/solvers_agree.py."""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass, field
from pathlib import Path

from verify_refine.testing.corpus import draw_unused, init_worker, worker_catalog

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"




@dataclass(frozen=True)
class Row:
    """One obligation under both solvers."""

    policy: str
    id: str
    property: str
    expected: str
    z3: str
    z3_s: float
    z3_holds: bool
    cvc5: str
    cvc5_s: float
    cvc5_holds: bool
    note: str = ""  # an unknown's reason or a witness that does not check


@dataclass
class PolicyResult:
    policy: str
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # structure problems: no obligations
    crashed: str = ""
    seconds: float = 0.0


def compare_policy(path: str, cat, fraction: float, seed: int, timeout: float) -> PolicyResult:
    """Refine one policy through the pipeline, and prove the refinement twice, with z3 then
    cvc5: the same obligations, each outcome judged by the prover (witnesses evaluated)."""
    from verify_refine import pipeline
    from verify_refine.inputs.policy import parse_policy

    name = Path(path).name
    out = PolicyResult(name)
    start = time.perf_counter()
    try:
        policy = parse_policy(Path(path).read_bytes(), path)
        unused = draw_unused(policy, cat, path, fraction, seed)
        done = pipeline.refine_and_prove(policy, unused, cat, prove=False)
        z3_run, cvc5_run = (pipeline.prove_refinement(policy, done.refined, done.hints, unused,
                                                      cat, timeout_s=timeout, solver=solver)
                            for solver in ("z3", "cvc5"))
        out.problems = [p.message for p in z3_run.proof.problems]
        for zo, co in zip(z3_run.proof.outcomes, cvc5_run.proof.outcomes):
            ob = zo.obligation
            notes = []
            if zo.obtained == UNKNOWN:
                notes.append(f"z3: {zo.reason or 'unknown'}")
            elif not zo.holds:
                notes.append(f"z3: {zo.reason}")
            if co.obtained == UNKNOWN:
                notes.append(co.reason or "cvc5: unknown")
            elif not co.holds:
                notes.append(f"cvc5: {co.reason}")
            out.rows.append(Row(name, ob.id, ob.property, ob.expected, zo.obtained, zo.seconds,
                                zo.holds, co.obtained, co.seconds, co.holds, "; ".join(notes)))
    except Exception as exc:  # a crash is a finding, reported with the rest
        out.crashed = repr(exc)
    out.seconds = time.perf_counter() - start
    return out


def _worker(job) -> PolicyResult:
    path, fraction, seed, timeout = job
    return compare_policy(path, worker_catalog(), fraction, seed, timeout)


@dataclass
class Summary:
    policies: int = 0
    crashed: list[tuple[str, str]] = field(default_factory=list)
    structure: list[tuple[str, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    def add(self, res: PolicyResult) -> None:
        self.policies += 1
        if res.crashed:
            self.crashed.append((res.policy, res.crashed))
        self.structure.extend((res.policy, p) for p in res.problems)
        self.rows.extend(res.rows)

    def disagreements(self) -> list[Row]:
        return [r for r in self.rows if {r.z3, r.cvc5} == {SAT, UNSAT}]

    def bad_witnesses(self) -> list[Row]:
        """A sat answer whose model is not a real witness (or counterexample): either solver."""
        return [r for r in self.rows if (r.z3 == SAT and not r.z3_holds and r.expected == SAT)
                or (r.cvc5 == SAT and not r.cvc5_holds and r.expected == SAT)]

    def ok(self) -> bool:
        refuted = [r for r in self.rows if r.expected == UNSAT and SAT in (r.z3, r.cvc5)]
        return not (self.disagreements() or self.bad_witnesses() or self.crashed or refuted)


def _by_answer(rows, z3_answer):
    """(re-solved, agree, disagree, cvc5 unknown) over the rows where z3 said Z3_ANSWER."""
    sel = [r for r in rows if r.z3 == z3_answer]
    agree = sum(r.cvc5 == z3_answer for r in sel)
    unknown = sum(r.cvc5 == UNKNOWN for r in sel)
    return len(sel), agree, len(sel) - agree - unknown, unknown


def report(s: Summary, args, wall: float, versions: str, corpus: Path) -> str:
    """The Markdown report: the figures, every disagreement, the slowest for cvc5."""
    lines = _figures(s, args, versions, corpus) + _times(s.rows, args, wall) + _lists(s, args)
    return "\n".join(lines) + "\n"


def _figures(s: Summary, args, versions: str, corpus: Path) -> list[str]:
    rows = s.rows
    lines = [
        "# Two solvers agree: z3 and cvc5 on every obligation",
        "",
        f"Corpus: {s.policies} policies under "
        f"{corpus}, {args.fraction:.0%} unused (seed {args.seed}, as prove_corpus.py), "
        f"timeout {args.timeout:g} s per obligation and solver, {args.jobs} jobs"
        f"{', niced' if args.nice else ''}. Solvers: {versions}.",
        "",
        "| figure | count |",
        "|---|---:|",
        f"| policies | {s.policies} |",
        f"| policies crashed | {len(s.crashed)} |",
        f"| policies with structure problems (no solver) | {len({p for p, _ in s.structure})} |",
        f"| obligations total | {len(rows)} |",
    ]
    for answer in (UNSAT, SAT):
        n, agree, disagree, unknown = _by_answer(rows, answer)
        lines += [
            f"| z3 {answer}, re-solved by cvc5 | {n} |",
            f"| ... cvc5 agrees ({answer}) | {agree} |",
            f"| ... cvc5 disagrees | {disagree} |",
            f"| ... cvc5 unknown/timeout | {unknown} |",
        ]
    z3_unknown = [r for r in rows if r.z3 == UNKNOWN]
    lines += [
        f"| z3 unknown/timeout (cvc5 answered: {_tally(r.cvc5 for r in z3_unknown)}) "
        f"| {len(z3_unknown)} |",
        f"| agreements in all | {sum(r.z3 == r.cvc5 != UNKNOWN for r in rows)} |",
        f"| disagreements in all | {len(s.disagreements())} |",
        f"| sat answers whose witness does not check (z3 / cvc5) | "
        f"{sum(r.z3 == SAT and not r.z3_holds for r in rows if r.expected == SAT)} / "
        f"{sum(r.cvc5 == SAT and not r.cvc5_holds for r in rows if r.expected == SAT)} |",
        f"| answers other than expected (z3 / cvc5) | "
        f"{sum(r.z3 != r.expected for r in rows)} / {sum(r.cvc5 != r.expected for r in rows)} |",
        "",
    ]
    return lines


def _times(rows, args, wall: float) -> list[str]:
    lines = []
    z3_total = sum(r.z3_s for r in rows)
    cvc5_total = sum(r.cvc5_s for r in rows)
    lines += ["## Time", "",
              "| obligations | n | z3 total s | cvc5 total s | cvc5 / z3 |",
              "|---|---:|---:|---:|---:|"]
    groups = [("all", rows)] + [(f"{p} ({e})", [r for r in rows if r.property == p])
                                for p, e in _properties(rows)]
    for label, sel in groups:
        z, c = sum(r.z3_s for r in sel), sum(r.cvc5_s for r in sel)
        lines.append(f"| {label} | {len(sel)} | {z:.2f} | {c:.2f} | "
                     f"{(c / z if z else 0):.1f}x |")
    lines += ["", f"Wall time {wall:.1f} s (z3 {z3_total:.1f} s + cvc5 {cvc5_total:.1f} s of "
              f"solver time, over {args.jobs} jobs).", ""]
    lines += ["## Slowest obligations for cvc5", "",
              "| policy | obligation | expected | cvc5 | cvc5 s | z3 | z3 s |",
              "|---|---|---|---|---:|---|---:|"]
    for r in sorted(rows, key=lambda r: -r.cvc5_s)[:args.slowest]:
        lines.append(f"| {r.policy} | {r.id} | {r.expected} | {r.cvc5} | {r.cvc5_s:.2f} | "
                     f"{r.z3} | {r.z3_s:.2f} |")
    return lines


def _lists(s: Summary, args) -> list[str]:
    rows = s.rows
    lines = ["", "## Disagreements", ""]
    dis = s.disagreements()
    lines += [f"- {r.policy} `{r.id}`: z3 {r.z3}, cvc5 {r.cvc5} (expected {r.expected}) "
              f"{r.note}" for r in dis] or ["None."]
    lines += ["", "## Unknowns and timeouts", ""]
    unk = [r for r in rows if UNKNOWN in (r.z3, r.cvc5)]
    lines += [f"- {r.policy} `{r.id}`: z3 {r.z3} ({r.z3_s:.2f} s), cvc5 {r.cvc5} "
              f"({r.cvc5_s:.2f} s): {r.note}" for r in unk] or ["None."]
    wrong = [r for r in rows if r.expected == UNSAT and SAT in (r.z3, r.cvc5)]
    if wrong:
        lines += ["", "## Unsat obligations answered sat (a refutation or a disagreement)", ""]
        lines += [f"- {r.policy} `{r.id}`: z3 {r.z3}, cvc5 {r.cvc5}: {r.note}" for r in wrong]
    bad = s.bad_witnesses()
    if bad:
        lines += ["", "## Sat answers whose witness does not check", ""]
        lines += [f"- {r.policy} `{r.id}`: z3 {r.z3}, cvc5 {r.cvc5}: {r.note}" for r in bad]
    if s.crashed or s.structure:
        lines += ["", "## Crashes and structure problems", ""]
        lines += [f"- {p}: crashed: {why}" for p, why in s.crashed]
        lines += [f"- {p}: structure: {why}" for p, why in s.structure]
    return lines


def _tally(values) -> str:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return ", ".join(f"{k} {n}" for k, n in sorted(out.items())) or "-"


def _properties(rows):
    seen = {}
    for r in rows:
        seen.setdefault(r.property, r.expected)
    return sorted(seen.items())


def run(files, *, fraction=0.3, seed=1, timeout=10.0, jobs=2, catalog=None,
        progress=None) -> Summary:
    """Compare both solvers over FILES; jobs == 1 runs in this process."""
    s = Summary()
    work = [(f, fraction, seed, timeout) for f in files]
    if jobs <= 1:
        init_worker(catalog)
        for i, res in enumerate(map(_worker, work), 1):
            s.add(res)
            if progress:
                progress(i, len(work), s)
        return s
    with multiprocessing.get_context("fork").Pool(jobs, init_worker, (catalog,)) as pool:
        for i, res in enumerate(pool.imap_unordered(_worker, work, chunksize=2), 1):
            s.add(res)
            if progress:
                progress(i, len(work), s)
    return s
