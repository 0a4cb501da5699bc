"""The conda route: every rule names an environment file that exists, and every package is pinned."""

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ENVS = sorted((REPO / "envs").glob("*.yaml"))


@pytest.mark.parametrize("path", ENVS, ids=lambda path: path.name)
def test_environment_is_valid_and_pinned(path):
    env = yaml.safe_load(path.read_text())
    assert set(env) <= {"name", "channels", "dependencies"}
    assert env["channels"][:2] == ["conda-forge", "bioconda"]
    # Conda packages only: chromexpr comes from the workflow's src/ (common.smk), not pip.
    conda = env["dependencies"]
    for spec in conda:
        assert isinstance(spec, str), f"{path.name}: {spec} is not a pinned conda package"
        assert re.fullmatch(r"[A-Za-z0-9_.-]+=\d[\w.]*", spec), f"{path.name}: {spec} is not pinned"
    assert "python=3.11" in conda


def test_every_rule_names_an_existing_environment():
    rules = 0
    for smk in sorted((REPO / "workflow/rules").glob("*.smk")):
        text = smk.read_text()
        blocks = re.split(r"^\s*rule (\w+):", text, flags=re.MULTILINE)
        for name, body in zip(blocks[1::2], blocks[2::2], strict=True):
            rules += 1
            match = re.search(r'conda:\s*\n\s*"([^"]+)"', body)
            assert match, f"rule {name} in {smk.name} names no conda environment"
            assert (smk.parent / match[1]).resolve() in {env.resolve() for env in ENVS}
    assert rules >= 20
