"""Mutation testing of the refiner: a Markdown table of every mutant and what killed it.

    python benchmarks/mutants.py [--seed 6] [--count 300] [--survey]

For each mutant of verify_refine.testing.mutants: the bug, whether the obligation prover killed it, the
property that did, how many cases it took (the three worked examples come first, then seeded
random cases), whether the proof kernel (the trusted base) rejects the killing output too, and
with which property, and whether the whole-policy verifier (`verify`) does. Then the known survivors, and the wall time. With --survey every mutant also runs over
every case: how often its output differs from the correct refiner's, how often the prover
refutes it, and, for outputs the prover accepts, whether the brute-force oracle of
verify_refine.testing.oracle or the whole-policy verifier finds a violation (which would be a prover miss).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from verify_refine.testing import mutants

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def whole_cell(h: mutants.Hunt) -> str:
    if not h.killed:
        return "–"
    refuted = [p for p, status in h.whole.items() if status == "refuted"]
    if refuted:
        return "yes (" + ", ".join(refuted) + ")"
    return "no (proved)" if set(h.whole.values()) == {"proved"} else f"no ({h.whole})"


def kernel_cell(h: mutants.Hunt) -> str:
    if not h.killed:
        return "–"
    props = sorted({f.split(":", 1)[0] for f in h.kernel})
    return "yes (" + ", ".join(props) + ")" if h.kernel else "**no**"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--survey", action="store_true")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    cases = mutants.cases(EXAMPLES, args.seed, args.count)
    correct = mutants.Correct()
    print(f"Cases: the 3 worked examples, then {args.count} generated with seed {args.seed}.\n")
    print("| mutant | the bug | killed | property | cases until the kill | killing case "
          "| proof kernel rejects too | whole-policy verifier rejects too |")
    print("|---|---|---|---|---|---|---|---|")
    hunts = []
    for m in mutants.MUTANTS:
        h = mutants.hunt(m, cases, correct)
        hunts.append(h)
        print(f"| {m.name} | {cell(m.bug)} | {'yes' if h.killed else '**no**'} "
              f"| {h.killed_by or '–'} | {h.cases_run} | {h.case.name if h.case else '–'} "
              f"| {kernel_cell(h)} | {whole_cell(h)} |")
    killed = sum(h.killed for h in hunts)
    hunt_seconds = time.perf_counter() - start
    print(f"\nKilled {killed} of {len(hunts)} ({100 * killed / len(hunts):.0f}%); "
          f"crashes of a mutated refiner: {sum(len(h.crashes) for h in hunts)}; correct output "
          f"proved on every killing case: {all(h.correct_proved for h in hunts if h.killed)}; "
          f"{hunt_seconds:.1f} s.\n")
    print("Reasons given by the prover for each kill:\n")
    for h in hunts:
        if h.killed:
            print(f"- {h.mutant.name}: {cell(h.reason[:160])}")

    print("\nKnown survivors (not in the kill rate; tests/assurance/test_mutants.py asserts they survive):\n")
    print("| mutant | the bug | killed | different outputs / cases | why the prover accepts it |")
    print("|---|---|---|---|---|")
    for m in mutants.SURVIVORS:
        s = mutants.survey(m, cases, correct)
        print(f"| {m.name} | {cell(m.bug)} | {'yes' if s.refuted else 'no'} "
              f"| {s.differing} / {s.cases} | {cell(mutants.WHY_THEY_SURVIVE[m.name])} |")

    if args.survey:
        print("\nSurvey: every mutant over every case.\n")
        print("| mutant | different outputs | refuted | by property | accepted by the prover "
              "| of those, rejected by oracle or whole verifier |")
        print("|---|---|---|---|---|---|")
        for m in mutants.MUTANTS:
            s = mutants.survey(m, cases, correct)
            props = ", ".join(f"{p} {n}" for p, n in sorted(s.by_property.items()))
            suspects = [name for name, problems, whole in s.accepted
                        if problems or "refuted" in whole.values()]
            print(f"| {m.name} | {s.differing} | {s.refuted} | {props or '–'} "
                  f"| {len(s.accepted)} | {len(suspects)}"
                  f"{' (' + ', '.join(suspects[:3]) + ')' if suspects else ''} |")
    print(f"\nTotal {time.perf_counter() - start:.1f} s.")
    return 0 if killed == len(hunts) else 1


if __name__ == "__main__":
    sys.exit(main())
