"""Config checks the workflow runs when it is parsed, with short messages naming key and file.

Snakemake's own ``validate`` reports an error with the whole schema (over a thousand lines for a
typo); these checks find the same errors first and say in a few lines what is wrong, where it was
set and what is allowed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from chromexpr.errors import ConfigError

COMMAND_LINE = "--config"


def typed_command_line_values(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``--config`` values with nested scalars read as YAML values.

    Snakemake parses a nested value (``training={epochs: 5}``) with YAML's BaseLoader, which
    keeps every scalar a string ('5'); top-level values it already types. A nested string that
    YAML reads as a number, boolean or null becomes that value; any other string stays as given.
    """

    def typed(value: Any, nested: bool) -> Any:
        if isinstance(value, Mapping):
            return {key: typed(item, True) for key, item in value.items()}
        if isinstance(value, list):
            return [typed(item, True) for item in value]
        if nested and isinstance(value, str):
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                return value
            if parsed is None or isinstance(parsed, bool | int | float):
                return parsed
        return value

    return {key: typed(value, False) for key, value in overrides.items()}


def sets_key(config: Mapping[str, Any], path: Sequence[str]) -> bool:
    for key in path:
        if not isinstance(config, Mapping) or key not in config:
            return False
        config = config[key]
    return True


def where_set(path: Sequence[str], sources: Mapping[str, Mapping[str, Any]]) -> str:
    """The config source (file name, or --config) whose value of the key at ``path`` holds:
    the last of ``sources`` (in the order Snakemake applies them) that sets it."""
    setting = [name for name, values in sources.items() if sets_key(values, path)]
    return setting[-1] if setting else "the config"


def schema_error(error: ValidationError, sources: Mapping[str, Mapping[str, Any]]) -> ConfigError:
    """A few lines for one schema violation: the key, where it was set, what is allowed."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))[0]
        parent = f"keys of {'.'.join(path)!r}" if path else "top-level keys"
        return ConfigError(
            ".".join([*path, unknown]),
            f"unknown key (set in {where_set([*path, unknown], sources)}); "
            f"allowed {parent}: {', '.join(allowed)}",
        )
    return ConfigError(
        ".".join(path) or "(top level)",
        f"{error.message} (set in {where_set([p for p in path if not p.isdigit()], sources)})",
    )


def check_against_schema(
    config: Mapping[str, Any],
    schema_path: str | os.PathLike[str],
    sources: Mapping[str, Mapping[str, Any]],
) -> None:
    """Raise ConfigError with a short message for the config's most relevant schema violation."""
    with open(schema_path) as handle:
        schema = yaml.safe_load(handle)
    error = best_match(Draft202012Validator(schema).iter_errors(config))
    if error is not None:
        raise schema_error(error, sources)


def config_sources(
    config_files: Sequence[str | os.PathLike[str]], overrides: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each config file's values by its path relative to the working directory, then the
    --config values."""
    sources = {}
    for path in config_files:
        with open(path) as handle:
            sources[os.path.relpath(path)] = yaml.safe_load(handle) or {}
    sources[COMMAND_LINE] = dict(overrides)
    return sources


def check_demo_config(marks: Sequence[str], chrom_sizes: Mapping[str, int], path: str) -> None:
    """The demo simulates its own marks on chr1, chr21 and chrM: anything else would fail in a
    job, after the mirror was (re)built."""
    from chromexpr.demo.biology import DEMO_CHROMS, DEMO_MARKS

    unknown = sorted(set(marks) - set(DEMO_MARKS))
    if unknown:
        raise ConfigError(
            "marks",
            f"the demo (demo.enabled) has no model for {unknown}; known: {list(DEMO_MARKS)}",
        )
    missing = [chrom for chrom in DEMO_CHROMS if chrom not in chrom_sizes]
    if missing:
        raise ConfigError(
            "chrom_sizes", f"{path} lacks {missing}, which the demo (demo.enabled) simulates"
        )
