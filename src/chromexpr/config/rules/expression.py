"""Where each sample's expression comes from, and that it fits the format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.sample_table import SampleTable
from chromexpr.errors import ConfigError
from chromexpr.io.expression import check_value_column


def check_expression(config: Mapping[str, Any], samples: SampleTable) -> None:
    """A matrix (expression.path or urls.rpkm), or one file per cell (expression.files) in a
    per-sample format; featureCounts holds counts; the value column of rsem and salmon holds
    expression.unit (chromexpr.io.expression.check_value_column)."""
    expression = config["expression"]
    if expression["format"] == "matrix":
        if expression["files"] is not None:
            raise ConfigError(
                "expression.files",
                "for per-sample formats (rsem, salmon, featurecounts); a matrix is "
                "expression.path or urls.rpkm",
            )
        if not expression["path"] and "rpkm" not in config["urls"]:
            raise ConfigError(
                "urls.rpkm",
                "required when expression.format is matrix and expression.path is null",
            )
        return
    if expression["files"] is None:
        raise ConfigError(
            "expression.files",
            f"required for format {expression['format']} "
            "(a template with {sample} or a mapping {sample: path})",
        )
    if isinstance(expression["files"], dict):
        missing = [cell for cell in samples.cells if cell not in expression["files"]]
        if missing:
            raise ConfigError("expression.files", f"no file for {missing}")
    if expression["format"] == "featurecounts" and expression["unit"] != "counts":
        raise ConfigError("expression.unit", "featureCounts output holds counts; set unit: counts")
    check_value_column(expression["format"], expression["unit"], expression.get("value_column"))
