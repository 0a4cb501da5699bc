"""The schema check the workflow runs first, and where each config value was set.

Snakemake's own ``validate`` reports an error with the whole schema (over a thousand lines for a
typo); :func:`check_against_schema` finds the same errors first and says in a few lines what is
wrong, where it was set and what is allowed. :func:`located` adds where a key was set to the
ConfigErrors of the cross-key rules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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


def where_set(path: Sequence[str], sources: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The config source (file name, or --config) whose value of the key at ``path`` holds:
    the last of ``sources`` (in the order Snakemake applies them) that sets it; None where no
    source sets it (the schema's default holds)."""
    setting = [name for name, values in sources.items() if sets_key(values, path)]
    return setting[-1] if setting else None


def schema_error(error: ValidationError, sources: Mapping[str, Mapping[str, Any]]) -> ConfigError:
    """A few lines for one schema violation: the key, where it was set, what is allowed."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))[0]
        parent = f"keys of {'.'.join(path)!r}" if path else "top-level keys"
        return ConfigError(
            ".".join([*path, unknown]),
            f"unknown key (set in {where_set([*path, unknown], sources) or 'the config'}); "
            f"allowed {parent}: {', '.join(allowed)}",
        )
    key_path = [part for part in path if not part.isdigit()]
    return ConfigError(
        ".".join(path) or "(top level)",
        f"{error.message} (set in {where_set(key_path, sources) or 'the config'})",
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


@contextmanager
def located(sources: Mapping[str, Mapping[str, Any]]) -> Iterator[None]:
    """Re-raise a ConfigError raised inside without its origin with the config source that
    set its key (or the note that none did)."""
    try:
        yield
    except ConfigError as error:
        if error.origin is not None:
            raise
        source = where_set(error.key.split("."), sources)
        origin = f"set in {source}" if source else "not set in any config file"
        raise ConfigError(error.key, error.message, origin) from None
