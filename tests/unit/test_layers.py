"""The layering of design.md, enforced: dialogs/ is plain Python, storage/ does not reach into the shell."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "dialogs": {"aiogram", "sqlmodel", "sqlalchemy", "alembic", "bot", "storage", "httpx", "aiohttp"},
    "storage": {"aiogram", "bot"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_layers_import_only_downwards() -> None:
    offences = []
    for layer, forbidden in FORBIDDEN.items():
        for path in ROOT.joinpath(layer).rglob("*.py"):
            bad = imported_roots(path) & forbidden
            if bad:
                offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offences == []
