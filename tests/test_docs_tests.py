"""Every test the README and the docs name is a test function of the file they name.

A reference is one or more backticked names starting with ``test_`` (a ``[parameters]`` tail
inside the backticks is a reader's note and not checked), followed by the file in brackets
outside the backticks: ``[config_check]`` is ``tests/test_config_check.py``. The names belong to
the next such bracket in the same paragraph or table cell. A name whose function that file does
not define fails the test, so a renamed or moved test cannot leave a page pointing at nothing.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

# A backticked span, or a test file's bracket outside backticks (a Markdown link's text is
# followed by "(" and is not one).
TOKEN = re.compile(r"`(?P<code>[^`]+)`|\[(?P<file>[a-z0-9_]+)\](?!\()")


def references(text: str) -> list[tuple[str, str]]:
    """The ``(test name, file bracket)`` pairs of a page: names without their ``[parameters]``
    tail, each with the next bracket of its paragraph or table cell."""
    found = []
    for block in re.split(r"\n\s*\n", text):
        for cell in block.split("|"):
            names: list[str] = []
            for token in TOKEN.finditer(cell):
                if token["code"] is not None:
                    if token["code"].startswith("test_"):
                        names.append(token["code"].split("[", 1)[0])
                else:
                    found += [(name, token["file"]) for name in names]
                    names = []
    return found


def defined_tests(path: Path) -> set[str]:
    """The names of the test functions ``path`` defines."""
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def missing_tests(page: Path) -> list[str]:
    """Each reference of ``page`` to a test its file does not define, as ``page: name [file]``."""
    missing = []
    for name, file in references(page.read_text()):
        path = REPO / "tests" / f"test_{file}.py"
        if not path.exists() or name not in defined_tests(path):
            missing.append(f"{page.relative_to(REPO)}: `{name}` [{file}]")
    return missing


def test_every_test_a_page_names_is_defined_in_the_file_it_names():
    missing = [reference for page in PAGES for reference in missing_tests(page)]
    assert not missing, "pages name tests their file does not define:\n" + "\n".join(missing)


def test_references_are_read_with_their_files_and_without_parameters():
    # The forms docs/reliability.md uses: several names before one bracket, a parameter tail,
    # a second reference in the same cell, a backticked non-test and a link between them.
    cell = (
        "| `test_a[x, y]`, `test_b` [one]; `chromexpr train`: `test_c` [two], "
        "[a link](usage.md) `test_auc_se` |"
    )
    assert references(cell) == [("test_a", "one"), ("test_b", "one"), ("test_c", "two")]
