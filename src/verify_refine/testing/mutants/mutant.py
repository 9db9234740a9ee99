"""A mutant: one realistic refiner bug as a source change, installed for a `with` block."""

from __future__ import annotations

import contextlib
import importlib
import inspect
from dataclasses import dataclass

# Modules the prover (obligations, prover, whole, certificate) reads: a mutant never installs
# anything into them. spec/tokens.py may be mutated only as a private copy installed into refine/trie.py.
PROVER_MODULES = frozenset({
    "verify_refine.spec.tokens", "verify_refine.spec.glob", "verify_refine.spec.languages",
    "verify_refine.inputs.catalog", "verify_refine.inputs.findings", "verify_refine.jsonout",
    "verify_refine.inputs.model", "verify_refine.inputs.jsontext", "verify_refine.inputs.policy", "verify_refine.certificate",
    "verify_refine.prove.obligations", "verify_refine.prove.prover", "verify_refine.prove.whole",
    "verify_refine.prove.whole.model", "verify_refine.prove.whole.variables",
    "verify_refine.prove.whole.formula", "verify_refine.prove.whole.regex",
    "verify_refine.prove.whole.slices", "verify_refine.prove.whole.results",
    "verify_refine.prove.whole.recheck", "verify_refine.prove.whole.verifier",
    "verify_refine.prove.encode", "verify_refine.prove.solver", "verify_refine.prove.cvc5_solver",
    "verify_refine.prove.kernel", "verify_refine.prove.kernel_call", "verify_refine.files",
    "verify_refine.errors"})


@dataclass(frozen=True)
class Mutant:
    """One bug: a name, what is wrong, and the source change that makes it."""

    name: str
    bug: str
    module: str  # the module whose source is changed
    edits: tuple[tuple[str, str], ...]  # (old, new): each old text occurs exactly once
    into: tuple[str, ...] = ()  # modules to install into (default: the changed module)
    names: tuple[str, ...] = ()  # what to install (default: every function and class)

    def namespace(self) -> dict:
        """The changed module, compiled into a fresh namespace."""
        module = importlib.import_module(self.module)
        source = inspect.getsource(module)
        for old, new in self.edits:
            count = source.count(old)
            if count != 1:
                raise AssertionError(f"mutant {self.name}: {old!r} occurs {count} times in "
                                     f"{self.module}; update the mutant")
            source = source.replace(old, new)
        namespace = {"__name__": module.__name__, "__package__": module.__package__,
                     "__file__": module.__file__}
        exec(compile(source, f"<mutant {self.name} of {self.module}>", "exec"), namespace)
        return namespace

    @contextlib.contextmanager
    def applied(self, namespace: dict | None = None):
        """Install the mutant into the refiner's modules; everything is restored on exit."""
        namespace = namespace if namespace is not None else self.namespace()
        targets = self.into or (self.module,)
        wanted = self.names or tuple(
            name for name, value in namespace.items()
            if (inspect.isfunction(value) or inspect.isclass(value))
            and getattr(value, "__module__", None) == self.module)
        saved = []
        try:
            for target in targets:
                if target in PROVER_MODULES:
                    raise AssertionError(f"mutant {self.name} would change the prover's {target}")
                module = importlib.import_module(target)
                for name in wanted:
                    if hasattr(module, name):
                        saved.append((module, name, getattr(module, name)))
                        setattr(module, name, namespace[name])
            yield self
        finally:
            for module, name, value in reversed(saved):
                setattr(module, name, value)
