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
    public = ("sedflow", "sedflow.errors", "sedflow.programmes", "sedflow.reports", "sedflow.simulation",
              "sedflow.worker")

    def allowed(name: str) -> bool:
        if not name.startswith("sedflow.") or name in public or name.startswith(tuple(m + "." for m in public[1:])):
            return True
        return name.count(".") == 1 and name.split(".")[1] in sedflow.__all__  # from sedflow import <public name>
    internal = [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in _modules(CLI) for line, name in _imports(p)
                if not allowed(name)]
    assert internal == []


def _annotations(obj: object) -> dict[str, object]:
    """The resolved type hints (the names the annotations use are sedflow's public and profile names)."""
    import sedflow.definitions.forms
    import sedflow.profile
    import sedflow.reports.profile
    import sedflow.simulation
    names = {**vars(typing), **vars(sedflow), **vars(sedflow.profile), **vars(sedflow.definitions.forms),
             **vars(sedflow.reports.profile), **vars(sedflow.simulation)}
    try:
        return typing.get_type_hints(obj, localns=names)
    except (NameError, TypeError) as exc:
        pytest.fail(f"{obj}: an annotation does not resolve ({exc})")


def _public_callables() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name in sedflow.__all__:
        obj = getattr(sedflow, name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                function = getattr(member, "__func__", None) or getattr(member, "fget", None) or member
                if not attr.startswith("_") and inspect.isfunction(function):
                    found.append((f"{name}.{attr}", function))
            found.append((f"{name}.__init__", obj.__init__))
        elif inspect.isfunction(obj):
            found.append((name, obj))
    return found


def _loose(hint: object) -> bool:
    return hint is typing.Any or any(_loose(arg) for arg in typing.get_args(hint))


@pytest.mark.parametrize("name, function", _public_callables(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_any_in_a_public_signature(name: str, function: object) -> None:
    """The public API says what it takes and gives (``Any`` only where the value really is anything:
    form data, JSON)."""
    hints = _annotations(function)
    loose = [param for param, hint in hints.items() if _loose(hint) and param not in _ANY_ALLOWED]
    assert loose == [], f"{name}: {loose} typed Any"


#: Parameters whose values are free-form by nature (case data, import rows, JSON payloads, context-manager exits).
_ANY_ALLOWED = frozenset({"data", "variables", "correlation", "rows", "value", "exc", "kwargs", "return",
                          # a definition's parsed SpiffWorkflow specs: opaque outside sedflow.spiff
                          "spec", "subprocess_specs"})
