"""The shape the code keeps: which package may know what (README, Layout).

Read from the source with the ``ast`` module, so a new import that breaks a rule fails here, naming
the file and line, before a reviewer has to spot it.
"""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest
import sedflow

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sedflow"
CLI = ROOT / "cli" / "sedflow_cli"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute name) of every import in ``path``, relative imports resolved: the module, and for
    ``from m import n`` also ``m.n`` (so that ``from sedflow import programmes`` is seen)."""
    package = path.relative_to(ROOT if path.is_relative_to(PACKAGE) else CLI.parent).parent.parts
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _violations(paths: list[Path], forbidden: str) -> list[str]:
    return [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in paths for line, name in _imports(p)
            if name == forbidden or name.startswith(forbidden + ".")]


def _modules(root: Path, *, outside: tuple[str, ...] = ()) -> list[Path]:
    return [p for p in sorted(root.rglob("*.py")) if not any(part in outside for part in p.relative_to(root).parts)]


def test_nothing_outside_the_spiff_package_imports_spiffworkflow() -> None:
    assert _violations(_modules(PACKAGE, outside=("spiff",)) + _modules(CLI), "SpiffWorkflow") == []


def test_the_core_never_imports_a_programme_profile() -> None:
    assert _violations(_modules(PACKAGE, outside=("programmes",)), "sedflow.programmes") == []


def test_the_cli_uses_the_library_through_its_public_names() -> None:
    """Commands call the public API: ``sedflow``'s top-level names and the documented packages."""
    public = ("sedflow.errors", "sedflow.programmes", "sedflow.reports", "sedflow.simulation")

    def allowed(name: str) -> bool:
        return not name.startswith("sedflow.") or name.count(".") == 1 or name in public \
            or name.startswith(tuple(m + "." for m in public))
    internal = [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in _modules(CLI) for line, name in _imports(p)
                if not allowed(name)]
    assert internal == []


def _annotations(obj: object) -> dict[str, object]:
    try:
        return typing.get_type_hints(obj)
    except (NameError, TypeError):  # pragma: no cover - a forward reference that does not resolve
        return dict(getattr(obj, "__annotations__", {}))


def _public_callables() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name in sedflow.__all__:
        obj = getattr(sedflow, name)
        if inspect.isclass(obj):
            found += [(f"{name}.{attr}", member) for attr, member in vars(obj).items()
                      if not attr.startswith("_") and inspect.isfunction(member)]
            found.append((f"{name}.__init__", obj.__init__))
        elif inspect.isfunction(obj):
            found.append((name, obj))
    return found


@pytest.mark.parametrize("name, function", _public_callables(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_any_in_a_public_signature(name: str, function: object) -> None:
    """The public API says what it takes and gives (``Any`` only where the value really is anything:
    form data, JSON)."""
    hints = _annotations(function)
    loose = [param for param, hint in hints.items() if hint is typing.Any and param not in _ANY_ALLOWED]
    assert loose == [], f"{name}: {loose} typed Any"


#: Parameters whose values are free-form by nature (case data, JSON payloads, context-manager exits).
_ANY_ALLOWED = frozenset({"data", "value", "exc", "kwargs", "return",
                          "spec"})  # a definition's parsed SpiffWorkflow spec: opaque outside sedflow.spiff
