"""Expression inputs: a genes x samples matrix, or one quantifier file per sample.

Formats (config key ``expression.format``):

=================  ==========================  ====================  =========================
format             layout                      gene id column        value column (default)
=================  ==========================  ====================  =========================
``matrix``         TSV, one column per sample  ``gene_column``       the sample's column
``rsem``           RSEM ``genes.results``      ``gene_id``           the unit's (below)
``salmon``         salmon ``quant.genes.sf``   ``Name``              the unit's (below)
``featurecounts``  featureCounts output        ``Geneid``            the last (the BAM's counts)
=================  ==========================  ====================  =========================

Any of them gz or not. Units (``expression.unit``): ``rpkm``, ``fpkm``, ``tpm`` are used as
they are; ``counts`` become TPM with the annotation's gene lengths (``value_unit``). For rsem
and salmon the unit names the column read (``UNIT_COLUMNS``: tpm ``TPM``, fpkm ``FPKM`` (rsem),
counts ``expected_count`` (rsem) or ``NumReads`` (salmon)), and a ``value_column`` holding
another unit is refused (``check_value_column``). Every
sample's values are turned into one table per sample (``gene_id``, then the sample's column)
with version-stripped ids and spike-ins (ERCC, ENCODE's gSpikein / tSpikein) left out; what was
left out is counted in the sample's QC record (``QC_FIELDS``). ``read_expression_table`` reads
such tables, and REMC's matrix ``57epigenomes.RPKM.pc`` (``gene_id``, then one column per
epigenome), back for the labels.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.errors import ConfigError, InputFormatError, preview
from chromexpr.io.gene_info import PAR_Y_SUFFIX, strip_version
from chromexpr.io.sniff import open_text

logger = logging.getLogger(__name__)

EXPRESSION_FORMATS = ("matrix", "rsem", "salmon", "featurecounts")
UNITS = ("rpkm", "fpkm", "tpm", "counts")
# Per-sample layouts: their gene id column.
QUANTIFIER_COLUMNS = {"rsem": "gene_id", "salmon": "Name", "featurecounts": "Geneid"}
# The value columns of a layout whose unit is known, by unit: the column each unit reads.
UNIT_COLUMNS = {
    "rsem": {"tpm": "TPM", "fpkm": "FPKM", "counts": "expected_count"},
    "salmon": {"tpm": "TPM", "counts": "NumReads"},
}
# expression.max_unmatched_gene_share's default: above this share of a file's gene ids (spike-ins
# and _PAR_Y copies aside) matching no annotation gene, the expression job fails.
DEFAULT_MAX_UNMATCHED_SHARE = 0.2
SPIKE_IN = re.compile(r"^(ERCC-|gSpikein|tSpikein)")
QC_FIELDS = ("genes_in_file", "spike_ins", "par_y_copies", "not_in_annotation", "genes_kept")


def _read_tsv(path: str | os.PathLike[str], what: str) -> tuple[pd.DataFrame, int]:
    """The table as text, and the file line of its header (leading ``#`` lines skipped, as
    featureCounts writes its command line there)."""
    try:
        with open_text(path) as handle:
            header_line = 1
            position = handle.tell()
            while handle.readline().startswith("#"):
                header_line += 1
                position = handle.tell()
            handle.seek(position)
            table = pd.read_csv(handle, sep="\t", dtype=str, keep_default_na=False)
    except (OSError, EOFError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputFormatError(path, f"cannot read {what}: {error}") from error
    if table.empty:
        raise InputFormatError(path, f"{what} has no rows", header_line)
    return table, header_line


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise ConfigError("expression.unit", f"{unit!r} is not one of {UNITS}")


def check_value_column(file_format: str, unit: str, value_column: str | None) -> str | None:
    """The value column read for ``expression.format``, ``expression.unit`` and
    ``expression.value_column`` (None: the unit's column of ``UNIT_COLUMNS``; None again for a
    layout without one, whose last column is read). A column of ``UNIT_COLUMNS`` that holds
    another unit than ``unit``, or a unit the layout has no column for, is a ConfigError."""
    _check_unit(unit)
    columns = UNIT_COLUMNS.get(file_format)
    if columns is None:
        return value_column
    if value_column is None:
        if unit not in columns:
            raise ConfigError(
                "expression.unit",
                f"{file_format} files have no {unit} column; set unit to one of "
                f"{list(columns)} (columns {list(columns.values())}), or name the column in "
                "expression.value_column",
            )
        return columns[unit]
    held = {column: column_unit for column_unit, column in columns.items()}.get(value_column)
    if held is not None and held != unit:
        raise ConfigError(
            "expression.value_column",
            f"{file_format} column {value_column!r} holds {held}, but expression.unit is {unit}; "
            f"set expression.unit: {held}, or expression.value_column: "
            f"{columns.get(unit, 'null')}",
        )
    return value_column


def value_unit(unit: str) -> str:
    """The unit of the values written for config unit ``unit``: TPM for counts, else itself."""
    _check_unit(unit)
    return "tpm" if unit == "counts" else unit


def _numeric(path, values: pd.DataFrame, gene_ids: pd.Series, header_line: int) -> pd.DataFrame:
    """``values`` as float64; a non-numeric, NaN or negative value names its gene, column and line."""
    numeric = values.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() | (numeric < 0)
    if bad.to_numpy().any():
        row, column = np.argwhere(bad.to_numpy())[0]
        raise InputFormatError(
            path,
            f"gene {gene_ids.iloc[row]} column {values.columns[column]}: "
            f"{values.iat[row, column]!r} is not a non-negative number",
            header_line + int(row) + 1,
        )
    return numeric.astype(np.float64)


def _gene_column(path, table: pd.DataFrame, gene_column: str, key: str) -> pd.Series:
    if gene_column not in table.columns:
        raise InputFormatError(
            path,
            f"no gene id column {gene_column!r} (config key '{key}'); columns: "
            f"{preview(list(table.columns))}",
            1,
        )
    return table[gene_column]


def read_expression_matrix(
    path: str | os.PathLike[str], samples: Sequence[str], gene_column: str | None = None
) -> pd.DataFrame:
    """Values [genes, samples] of a matrix, indexed by the file's gene ids (as written).

    ``gene_column`` names the id column (None: the first). Columns not asked for are ignored.
    """
    table, header_line = _read_tsv(path, "expression matrix")
    gene_column = gene_column or table.columns[0]
    gene_ids = _gene_column(path, table, gene_column, "expression.gene_column")
    missing = [sample for sample in samples if sample not in table.columns]
    if missing:
        raise InputFormatError(
            path,
            f"samples {missing} have no column (available: {preview(list(table.columns))})",
            header_line,
        )
    values = _numeric(path, table[list(samples)], gene_ids, header_line)
    values.index = pd.Index(gene_ids, name="gene_id")
    return values


def read_expression_table(path: str | os.PathLike[str], cells: Sequence[str]) -> pd.DataFrame:
    """Values [genes, cells] indexed by Ensembl id, with exactly the columns ``cells``, of a table
    whose first column is ``gene_id`` (a sample's expression table, or REMC's matrix).

    Columns not asked for (E000, the universal reference, and unconfigured cell types) are
    ignored. Duplicate gene ids, missing cells and NaN, negative or non-numeric values are errors.
    """
    table, header_line = _read_tsv(path, "expression table")
    if table.columns[0] != "gene_id":
        raise InputFormatError(path, "header must start with 'gene_id'", header_line)
    missing = [cell for cell in cells if cell not in table.columns]
    if missing:
        raise InputFormatError(
            path,
            f"cell types {missing} of config key 'cells' have no column "
            f"(available: {list(table.columns[1:])})",
            header_line,
        )
    duplicated = table["gene_id"][table["gene_id"].duplicated()]
    if len(duplicated):
        line = header_line + int(duplicated.index[0]) + 1
        raise InputFormatError(path, f"gene id {duplicated.iloc[0]} appears more than once", line)
    values = _numeric(path, table[list(cells)], table["gene_id"], header_line)
    values.index = pd.Index(table["gene_id"], name="gene_id")
    return values


def read_quantifier_file(
    path: str | os.PathLike[str],
    file_format: str,
    value_column: str | None = None,
    unit: str = "tpm",
) -> pd.Series:
    """One sample's values [genes] from an RSEM, salmon or featureCounts file, indexed by the
    file's gene ids; ``value_column`` None takes the column of ``unit`` (``check_value_column``),
    or the last column where the layout has none (featureCounts)."""
    value_column = check_value_column(file_format, unit, value_column)
    table, header_line = _read_tsv(path, f"{file_format} file")
    gene_ids = _gene_column(path, table, QUANTIFIER_COLUMNS[file_format], "expression.format")
    value_column = value_column or table.columns[-1]
    if value_column not in table.columns:
        raise InputFormatError(
            path,
            f"no column {value_column!r} (config key 'expression.value_column'); columns: "
            f"{list(table.columns)}",
            header_line,
        )
    values = _numeric(path, table[[value_column]], gene_ids, header_line)[value_column]
    values.index = pd.Index(gene_ids, name="gene_id")
    return values


def counts_to_tpm(counts: pd.Series, lengths: pd.Series) -> pd.Series:
    """TPM of raw counts: reads per kilobase of gene length, scaled to sum to one million.

    ``lengths`` (bases) is indexed like ``counts``; genes of zero length are an error upstream.
    """
    rate = counts / (lengths / 1000.0)
    total = rate.sum()
    if total <= 0:
        raise ValueError("every count is zero: TPM is undefined")
    return rate / total * 1e6


def sample_expression(
    values: pd.Series,
    annotation: pd.DataFrame,
    unit: str,
    source: object,
    max_unmatched_share: float = DEFAULT_MAX_UNMATCHED_SHARE,
) -> tuple[pd.Series, dict[str, int]]:
    """One sample's values by version-stripped gene id, and its QC record (``QC_FIELDS``).

    Spike-ins and GENCODE's ``_PAR_Y`` copies are left out. Genes the annotation (every
    biotype) lacks are counted and a warning (on the console); they stay in the table for
    rpkm/fpkm/tpm (the gene table, which takes genes in both, leaves them out) and are left out
    for ``counts``, whose TPM needs each gene's annotated length. An id column that matches no
    annotation id, or more than ``max_unmatched_share`` of the ids unmatched, is an error.
    """
    _check_unit(unit)
    ids = values.index.to_series().astype(str)
    spike_in = ids.str.match(SPIKE_IN.pattern).to_numpy()
    par_y = ids.str.endswith(PAR_Y_SUFFIX).to_numpy()
    kept = values[~spike_in & ~par_y]
    kept.index = pd.Index([strip_version(gene) for gene in kept.index], name="gene_id")
    duplicated = kept.index[kept.index.duplicated()]
    if len(duplicated):
        lines = _lines_naming(source, duplicated[0])
        raise InputFormatError(
            source,
            f"gene id {duplicated[0]} appears more than once (versions stripped)"
            + (f", on lines {lines}" if lines else ""),
            lines[1] if len(lines) > 1 else None,
        )
    lengths = annotation.set_index("gene_id")["length"]
    annotated = kept.index.isin(lengths.index)
    if not annotated.any():
        raise InputFormatError(
            source,
            f"no gene id matches the annotation: file ids {preview(list(kept.index[:6]))}, "
            f"annotation ids {preview(list(lengths.index[:6]))}",
        )
    if not annotated.all():
        share = float((~annotated).mean())
        message = (
            f"{int((~annotated).sum())} of {len(kept)} gene ids ({share:.1%}) match no "
            f"annotation gene, first {preview(list(kept.index[~annotated][:6]))}"
        )
        if share > max_unmatched_share:
            raise InputFormatError(
                source,
                f"{message}; more than expression.max_unmatched_gene_share "
                f"{max_unmatched_share:g}: is the annotation of another release or species?",
            )
        logger.warning(f"{source}: {message}; the gene table leaves them out")
    if unit == "counts":
        kept = counts_to_tpm(kept[annotated], lengths.loc[kept.index[annotated]])
    qc = {
        "genes_in_file": len(values),
        "spike_ins": int(spike_in.sum()),
        "par_y_copies": int(par_y.sum()),
        "not_in_annotation": int((~annotated).sum()),
        "genes_kept": len(kept),
    }
    return kept.astype(np.float64), qc


def read_sample_values(
    path: str | os.PathLike[str],
    sample: str,
    file_format: str,
    value_column: str | None = None,
    gene_column: str | None = None,
    unit: str = "tpm",
) -> pd.Series:
    """One sample's values [genes] by the file's gene ids: its column of a matrix, or its
    quantifier file (its column of ``unit`` unless ``value_column`` names one)."""
    if file_format == "matrix":
        return read_expression_matrix(path, [sample], gene_column)[sample]
    if file_format in QUANTIFIER_COLUMNS:
        return read_quantifier_file(path, file_format, value_column, unit)
    raise ConfigError("expression.format", f"{file_format!r} is not one of {EXPRESSION_FORMATS}")


def write_sample_expression(
    source_path: str | os.PathLike[str],
    sample: str,
    settings: dict,
    annotation: pd.DataFrame,
    out_path: str | os.PathLike[str],
    qc_path: str | os.PathLike[str],
) -> pd.Series:
    """The sample's expression table (``gene_id``, ``sample``) and its QC record (JSON).

    ``settings`` is the config's ``expression`` mapping (``format``, ``unit``, ``value_column``,
    ``gene_column``, ``max_unmatched_gene_share``).
    """
    values = read_sample_values(
        source_path,
        sample,
        settings["format"],
        settings.get("value_column"),
        settings.get("gene_column"),
        settings["unit"],
    )
    expression, qc = sample_expression(
        values,
        annotation,
        settings["unit"],
        source_path,
        settings.get("max_unmatched_gene_share", DEFAULT_MAX_UNMATCHED_SHARE),
    )
    logger.info(
        f"{sample}: {qc['genes_in_file']} genes in {source_path}, {qc['spike_ins']} spike-ins "
        f"and {qc['par_y_copies']} _PAR_Y copies left out, {qc['not_in_annotation']} not in "
        f"the annotation, {qc['genes_kept']} kept ({settings['unit']}"
        f"{' -> TPM' if settings['unit'] == 'counts' else ''})"
    )
    write_tsv(expression.rename(sample).reset_index(), out_path)
    with atomic_path(qc_path) as tmp:
        tmp.write_text(json.dumps({"sample": sample, "unit": settings["unit"], **qc}, indent=2))
    return expression


def expressed_gene_ids(
    paths: Sequence[str | os.PathLike[str]], gene_column: str | None = None
) -> list[str]:
    """Version-stripped ids, spike-ins and ``_PAR_Y`` copies left out, of the genes every file
    lists, in the first file's order: the gene id column (``gene_column``, None: the first) of
    an expression matrix or of per-sample expression tables."""
    common: dict[str, None] | None = None
    for path in paths:
        table, _ = _read_tsv(path, "expression table")
        ids = _gene_column(path, table, gene_column or table.columns[0], "expression.gene_column")
        kept = [
            strip_version(gene)
            for gene in ids
            if not SPIKE_IN.match(gene) and not gene.endswith(PAR_Y_SUFFIX)
        ]
        if common is None:
            common = dict.fromkeys(kept)
        else:
            listed = set(kept)
            common = {gene: None for gene in common if gene in listed}
    return list(common or [])


def expression_qc_table(qc_paths: Sequence[str | os.PathLike[str]]) -> pd.DataFrame:
    """One row per sample: ``sample, unit`` and ``QC_FIELDS`` from the samples' QC records."""
    rows = []
    for path in qc_paths:
        try:
            rows.append(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as error:
            raise InputFormatError(path, f"not an expression QC record: {error}") from error
    return pd.DataFrame(rows, columns=["sample", "unit", *QC_FIELDS])


def _lines_naming(path: object, gene_id: str) -> list[int]:
    """The lines of file ``path`` with a tab-separated field that is ``gene_id`` once its
    version is stripped (for the message of a duplicated gene); none where it cannot be read."""
    try:
        with open_text(path) as handle:
            return [
                number
                for number, line in enumerate(handle, 1)
                if gene_id in {strip_version(field) for field in line.rstrip("\n").split("\t")}
            ]
    except (OSError, EOFError, UnicodeDecodeError, TypeError):
        return []
