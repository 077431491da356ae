"""The shape of the code: who may import whom, read from the sources themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("hub/web", ("hub.app",)),  # the web side gets the hub's collaborators, never the Hub: no import loop
        ("common", ("hub", "client")),  # shared by the sender and the hub: knows neither
        ("client", ("hub",)),  # a Pi installs the sender without the hub's code
    ],
)
def test_who_may_import_whom(package: str, forbidden: tuple[str, ...]) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    for path in files:
        bad = [m for m in imports_of(path) if any(m == f or m.startswith(f + ".") for f in forbidden)]
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_no_file_is_a_grab_bag() -> None:
    long = {
        str(p.relative_to(ROOT)): n for p in ROOT.glob("[chc]*/**/*.py") if (n := len(p.read_text().splitlines())) > 400
    }
    assert not long, f"split these by role: {long}"
