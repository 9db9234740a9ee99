"""The cvc5 back end: SMT-LIB2 text through cvc5's own input parser to a three-way verdict."""

from __future__ import annotations

import time

from .solver import SAT, UNKNOWN, UNSAT, Verdict

INSTALL_HINT = "cvc5 is not installed: pip install 'verify-refine[cvc5]'"
SEED = 0  # the same fixed seed as the z3 wrapper

# Set before the input is read: the text's own (set-logic ...) comes afterwards.
# strings-exp turns on cvc5's full string solver (extended functions such as str.prefixof,
# str.replace, str.indexof would otherwise be rejected); re.comp and re.inter work either way.
_OPTIONS = {
    "produce-models": "true",
    "seed": str(SEED),
    "sat-random-seed": str(SEED),
    "strings-exp": "true",
}


def _cvc5():
    try:
        import cvc5
    except ImportError as exc:
        raise RuntimeError(INSTALL_HINT) from exc
    return cvc5


def version() -> str:
    cvc5 = _cvc5()
    return f"cvc5 {getattr(cvc5, '__version__', 'unknown')}"


def solve(text: str, timeout_s: float) -> Verdict:
    """Decide one standalone SMT-LIB2 query with cvc5. Anything but a definite answer is unknown."""
    cvc5 = _cvc5()
    start = time.perf_counter()
    try:
        tm = cvc5.TermManager()
        solver = cvc5.Solver(tm)
        for name, value in _OPTIONS.items():
            solver.setOption(name, value)
        solver.setOption("tlimit-per", str(max(1, int(timeout_s * 1000))))
        symbols = cvc5.SymbolManager(tm)
        parser = cvc5.InputParser(solver, symbols)
        parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "query")
        result = None
        while True:
            command = parser.nextCommand()
            if command.isNull():
                break
            name = command.getCommandName()
            if name == "check-sat":
                result = solver.checkSat()
            elif name == "exit":
                break
            else:
                command.invoke(solver, symbols)
        seconds = time.perf_counter() - start
        if result is None:
            return Verdict(UNKNOWN, {}, seconds, "cvc5: no (check-sat) in the query")
        if result.isSat():
            return Verdict(SAT, _model(solver, symbols), seconds)
        if result.isUnsat():
            return Verdict(UNSAT, {}, seconds)
        explanation = str(result.getUnknownExplanation()).rsplit(".", 1)[-1]
        return Verdict(UNKNOWN, {}, seconds, f"cvc5: {explanation.lower()}")
    except Exception as exc:  # parse errors, option errors, solver errors: never proved
        return Verdict(UNKNOWN, {}, time.perf_counter() - start, f"cvc5 error: {exc}")


def _model(solver, symbols) -> dict[str, str]:
    """The values of the declared String constants, as the real characters."""
    values = {}
    for term in symbols.getDeclaredTerms():
        if not term.getSort().isString():
            continue
        value = solver.getValue(term)
        if value.isStringValue():
            name = term.getSymbol() if term.hasSymbol() else str(term)
            values[name] = value.getStringValue()
    return values
