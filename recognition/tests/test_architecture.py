"""recognition sits at the bottom of the dependency chain: backoffice → provisioning →
recognition. Its code refers to provisioning models by app label only."""

import ast
from pathlib import Path

import recognition

FORBIDDEN = ("provisioning", "backoffice")
APP = Path(recognition.__file__).parent


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_recognition_imports_neither_provisioning_nor_backoffice():
    # Tests are exempt: they build companies and offices with provisioning's factories.
    offenders = [
        f"{path.relative_to(APP.parent)} imports {module}"
        for path in sorted(APP.rglob("*.py"))
        if "tests" not in path.relative_to(APP).parts
        for module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN
    ]

    assert offenders == []
