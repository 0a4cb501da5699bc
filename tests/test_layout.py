"""The house rules of issue #23 that a growing codebase breaks first: rooms of a size one can
hold, and a ``common.smk`` that is glue."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODULE_LIMIT = 400
COMMON_LIMIT = 450


def lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_no_package_module_is_over_400_lines():
    modules = sorted((REPO / "src/chromexpr").rglob("*.py"))
    too_long = {str(path.relative_to(REPO)): lines(path) for path in modules}
    too_long = {name: count for name, count in too_long.items() if count > MODULE_LIMIT}
    assert modules and not too_long, too_long


def test_common_smk_holds_only_glue():
    assert lines(REPO / "workflow/rules/common.smk") <= COMMON_LIMIT


def test_no_config_rule_lives_in_the_rule_files():
    """Config rules are package functions (chromexpr.config.check_config); the rule files raise
    no configuration error of their own."""
    for path in sorted((REPO / "workflow/rules").glob("*.smk")):
        raising = [
            line.strip()
            for line in path.read_text().splitlines()
            if "raise ConfigError" in line or "raise ValueError" in line
        ]
        assert not raising, (path.name, raising)
