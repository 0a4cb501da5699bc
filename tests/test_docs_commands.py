"""Every command the README and the docs show is run by a test exactly as written.

A command is a line of a ```` ```bash ```` block in ``README.md`` or ``docs/*.md`` (a trailing
``# comment`` is not part of it; a line ending in ``\\`` continues on the next; a here-document is
part of its command). Each command is either cheap and safe, and run here as written in a
temporary copy of the workflow (the commands of one page in order, in one folder), or it runs a
workflow and is listed with the file that runs it: ``.ci/run`` (a line of it) or a named test
(a function whose string arguments are the command's own, in order). A command in neither list
fails the test; so does an entry for a command no page shows any more. The convention is in
``docs/code-layout.md``, "Commands in these pages".
"""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .workflow_helpers import copy_workflow

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CI_SCRIPT = ".ci/run"

# Cheap and safe: run as written. The pattern is what its output must show.
RUN = {
    ".venv/bin/chromexpr predict --help": r"--exported",
    ".venv/bin/snakemake -n results/models/deepchrome/E003/metrics.json": r"train_model\s+1\b",
    ".venv/bin/snakemake -n --forcerun results/models/deepchrome/E003/metrics.json": r"auc_tables\s+1\b",
    ".venv/bin/snakemake -n --configfile config/remc.yaml": r"download_reads\s+280\b",
    (
        ".venv/bin/python -m chromexpr.demo --style own-data --out data"
        " --cells K562 GM12878_rep1 HepG2 --n-genes 2000"
    ): r"",
    ".venv/bin/snakemake -n --profile profiles/slurm --workflow-profile none": r"train_model\s+\d+",
    ".venv/bin/snakemake -n --configfile config/config.yaml config/predict-demo.yaml": (
        r"predict_sample\s+\d+"
    ),
    ".venv/bin/snakemake --unlock": r"",
    ".venv/bin/snakemake -n --configfile config/config.yaml config/differential.yaml": (
        r"differential_train\s+\d+"
    ),
}

# Runs a workflow (or the whole suite): the file that runs it, and the function there (None: a
# line of a script).
COVERED = {
    "make demo": (CI_SCRIPT, None),
    "make test": (CI_SCRIPT, None),
    "make docs": (CI_SCRIPT, None),
    "make lint": (CI_SCRIPT, None),
    ".venv/bin/python benchmarks/demo_numbers.py": (CI_SCRIPT, None),
    ".venv/bin/snakemake -n --configfile config/encode-hg38.yaml": (
        "tests/test_encode_config.py",
        "test_the_dry_run_plans_every_download_and_count",
    ),
    ".venv/bin/snakemake --report report.html": ("tests/conftest.py", "demo_run"),
    ".venv/bin/snakemake --cores 2 --configfile config/own-data.yaml": (
        "tests/test_workflow_own_data.py",
        "own_data",
    ),
    (
        ".venv/bin/chromexpr predict results/differential/E003/E004/deepdiff/model.pt --dataset"
        " results/differential/window/datasets/E003.npz"
        " results/differential/window/datasets/E004.npz --out E004-over-E003.tsv --score test"
    ): (
        "tests/test_workflow_differential.py",
        "test_predict_command_applies_the_deepdiff_bundle_to_two_samples",
    ),
}

# An inline code span that starts like this is a whole command, which belongs in a block.
INLINE_COMMAND = re.compile(r"^(\.venv/bin/|make |snakemake |python )")
FENCE = re.compile(r"^(`{3,})(\w*)\s*$")
HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
TRAILING_COMMENT = re.compile(r"\s+#\s.*$")


@dataclass(frozen=True)
class Shown:
    page: str
    line: int
    command: str


def blocks(text: str) -> list[tuple[str, int, list[str]]]:
    """The fenced blocks of a Markdown text: (language, first line number, lines)."""
    found, lines, index = [], text.splitlines(), 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip() != opening.group(1):
            end += 1
        found.append((opening.group(2), index + 2, lines[index + 1 : end]))
        index = end + 1
    return found


def commands_of_block(lines: list[str]) -> list[tuple[int, str]]:
    """(offset, command) of each command in a bash block, as the convention defines them."""
    commands, index = [], 0
    while index < len(lines):
        start, line = index, lines[index]
        if not line.strip():
            index += 1
            continue
        heredoc = HEREDOC.search(line)
        if heredoc:
            end = lines.index(heredoc.group(1), index + 1)
            commands.append((start, "\n".join(lines[index : end + 1])))
            index = end + 1
            continue
        parts = [line]
        while parts[-1].endswith("\\") and index + 1 < len(lines):
            index += 1
            parts.append(lines[index])
        commands.append((start, TRAILING_COMMENT.sub("", "\n".join(parts)).rstrip()))
        index += 1
    return commands


def shown_commands() -> list[Shown]:
    shown = []
    for page in PAGES:
        name = str(page.relative_to(REPO))
        for language, first_line, lines in blocks(page.read_text()):
            if language in ("", "sh", "console", "shell"):
                raise AssertionError(
                    f"{name}:{first_line - 1}: a block says its language:"
                    " ```bash for commands, ```text for output and layouts"
                )
            if language == "bash":
                for offset, command in commands_of_block(lines):
                    shown.append(Shown(name, first_line + offset, command))
    return shown


SHOWN = shown_commands()


def test_every_command_shown_is_run_here_or_by_a_named_test():
    unknown = [
        f"{item.page}:{item.line}: {item.command}"
        for item in SHOWN
        if item.command not in RUN and item.command not in COVERED
    ]
    assert not unknown, "commands no test runs (add each to RUN or COVERED):\n" + "\n".join(unknown)


def test_every_listed_command_is_still_shown():
    shown = {item.command for item in SHOWN}
    stale = [command for command in [*RUN, *COVERED] if command not in shown]
    assert not stale, f"listed but shown on no page any more: {stale}"


def string_arguments(function: ast.AST) -> list[str]:
    """The string constants of a function, in the order they are written."""
    constants = [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    return [
        node.value for node in sorted(constants, key=lambda node: (node.lineno, node.col_offset))
    ]


def contains_run(values: list[str], wanted: list[str]) -> bool:
    return any(values[start : start + len(wanted)] == wanted for start in range(len(values)))


@pytest.mark.parametrize("command", sorted(COVERED))
def test_a_command_that_runs_a_workflow_is_still_run_where_listed(command):
    path, function_name = COVERED[command]
    source = (REPO / path).read_text()
    if function_name is None:
        assert command in source.splitlines(), f"{path} no longer runs `{command}`"
        return
    functions = {
        node.name: node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert function_name in functions, f"{path} has no function {function_name}"
    arguments = shlex.split(command)[1:]
    assert contains_run(string_arguments(functions[function_name]), arguments), (
        f"{path}::{function_name} does not run {arguments}"
    )


def pages_with_commands_to_run() -> list[str]:
    return sorted({item.page for item in SHOWN if item.command in RUN})


@pytest.mark.parametrize("page", pages_with_commands_to_run())
def test_cheap_commands_run_as_written(page, tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    # `.venv/bin/...` as written: the venv is the one running the tests.
    (workdir / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    for item in SHOWN:
        if item.page != page or item.command not in RUN:
            continue
        result = subprocess.run(
            ["bash", "-c", item.command], cwd=workdir, capture_output=True, text=True
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, (
            f"{page}:{item.line}: `{item.command}` failed:\n{output[-3000:]}"
        )
        assert re.search(RUN[item.command], output), (
            f"{page}:{item.line}: `{item.command}` printed no /{RUN[item.command]}/:\n{output[-3000:]}"
        )


def prose(text: str) -> str:
    """The text outside fenced blocks."""
    kept, inside = [], None
    for line in text.splitlines():
        fence = FENCE.match(line)
        if inside is None and fence:
            inside = fence.group(1)
        elif inside is not None and line.strip() == inside:
            inside = None
        elif inside is None:
            kept.append(line)
    return "\n".join(kept)


def test_prose_shows_no_command_that_is_not_in_a_block():
    shown = {item.command for item in SHOWN}
    loose = [
        f"{page.relative_to(REPO)}: `{span}`"
        for page in PAGES
        for span in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", prose(page.read_text()))
        if INLINE_COMMAND.match(span) and span not in shown
    ]
    assert not loose, "commands in prose that no block shows (and so no test runs):\n" + "\n".join(
        loose
    )


def anchors(markdown: str) -> set[str]:
    """The heading anchors MkDocs gives a page (its default slugs)."""
    slugs = set()
    for heading in re.findall(r"^#+\s+(.+?)\s*$", prose(markdown), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\s-]", "", heading.replace("`", "")).strip().lower()
        slugs.add(re.sub(r"[-\s]+", "-", slug))
    return slugs


def test_readme_links_reach_a_file_and_its_heading():
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", (REPO / "README.md").read_text()):
        if re.match(r"\w+://", target):
            continue
        path, _, anchor = target.partition("#")
        missing = not (REPO / path).exists()
        if missing or (anchor and anchor not in anchors((REPO / path).read_text())):
            broken.append(target)
    assert not broken, f"README links that lead nowhere: {broken}"
