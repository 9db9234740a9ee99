"""The solver wrapper: SMT-LIB2 text in, a three-way verdict out (sat, unsat, unknown); fixed seed, timeout."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

import z3

from .z3_threads import context

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"
DEFAULT_TIMEOUT_S = 10.0
SEED = 0
# z3 would take Ctrl-C for itself and answer "unknown": it goes to Python instead, so that an
# interrupt is an interrupt (exit 130), never a solver's unknown (solve() stays responsive).
z3.set_param("ctrl_c", False)


@dataclass(frozen=True)
class Verdict:
    """What the solver said, the values of the declared constants when sat, and how long it took."""

    status: str
    model: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    reason: str = ""


_ESCAPE = re.compile(r"\\u\{([0-9a-fA-F]{1,5})\}")


def decode(text: str) -> str:
    """z3 prints string values with \\u{hex} escapes (a backslash itself is \\u{5c})."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def version(solver: str = "z3") -> str:
    if solver == "cvc5":
        import cvc5

        return f"cvc5 {cvc5.__version__}" if hasattr(cvc5, "__version__") else "cvc5"
    return f"z3 {z3.get_version_string()}"


def _interruptible_check(s: z3.Solver):
    """s.check() in a worker thread, so that the main thread takes Ctrl-C at once: it cancels
    the search (Z3_interrupt) and the interrupt goes on up as KeyboardInterrupt."""
    outcome: list = []

    def work():
        try:
            outcome.append(s.check())
        except z3.Z3Exception as exc:  # re-raised in the main thread
            outcome.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        s.ctx.interrupt()
        worker.join()
        raise
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def solve(text: str, timeout_s: float = DEFAULT_TIMEOUT_S, solver: str = "z3") -> Verdict:
    """Decide one standalone SMT-LIB2 query. Anything but a definite answer is unknown."""
    if solver == "cvc5":
        from .cvc5_solver import solve as solve_cvc5

        return solve_cvc5(text, timeout_s)
    start = time.perf_counter()
    try:
        s = z3.Solver(ctx=context())
        s.set("timeout", max(1, int(timeout_s * 1000)))
        s.set("random_seed", SEED)
        s.set("ctrl_c", False)  # z3's own SIGINT handler would end the search as unknown
        s.from_string(text)
        answer = _interruptible_check(s)
    except z3.Z3Exception as exc:
        return Verdict(UNKNOWN, {}, time.perf_counter() - start, f"z3 error: {exc}")
    seconds = time.perf_counter() - start
    if answer == z3.sat:
        model = s.model()
        values = {}
        for decl in model.decls():
            value = model[decl]
            if z3.is_string_value(value):
                values[decl.name()] = decode(value.as_string())
        return Verdict(SAT, values, seconds)
    if answer == z3.unsat:
        return Verdict(UNSAT, {}, seconds)
    return Verdict(UNKNOWN, {}, seconds, s.reason_unknown())
