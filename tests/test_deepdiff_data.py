"""The reader of DeepDiff's sample-data layout (``chromexpr.io.deepdiff_data``)."""

import numpy as np
import pytest

from chromexpr.errors import DatasetMismatchError, InputFormatError
from chromexpr.io.deepdiff_data import (
    differential_targets,
    read_counts,
    read_expression,
    read_pair,
)

SPLIT_GENES = {
    "train": ["ENSG00000000003", "ENSG00000000005"],
    "valid": ["ENSG00000000419"],
    "test": ["ENSG00000000457"],
}


def _count_lines(genes: list[str], bins: int = 3, offset: int = 0) -> str:
    """Five counts per line; gene g's bin b, mark m holds offset + 100 g + 10 b + m."""
    return "".join(
        f"{gene}_SYM_{b}," + ",".join(str(offset + 100 * g + 10 * b + m) for m in range(5)) + "\n"
        for g, gene in enumerate(genes)
        for b in range(1, bins + 1)
    )


def _write_pair(root, cell_b_genes=None):
    every_gene = [gene for genes in SPLIT_GENES.values() for gene in genes]
    for cell, scale in (("Cell1", 1), ("Cell2", 3)):
        (root / f"{cell}.expr.csv").write_text(
            "".join(f"{gene},{scale * (i + 1)}\n" for i, gene in enumerate(every_gene))
        )
        for split, genes in SPLIT_GENES.items():
            if cell == "Cell2" and cell_b_genes and split in cell_b_genes:
                genes = cell_b_genes[split]
            offset = 0 if cell == "Cell1" else 1000
            (root / f"{cell}.{split}.csv").write_text(_count_lines(genes, offset=offset))


def test_a_pair_reads_as_genes_by_marks_by_bins_with_both_cells_expression(tmp_path):
    _write_pair(tmp_path)
    pair = read_pair(tmp_path, "Cell1", "Cell2")
    train = pair["train"]
    assert list(train.gene_ids) == SPLIT_GENES["train"]
    assert train.counts_a.shape == (2, 5, 3)
    assert train.counts_a[1, 4, 2] == 100 * 1 + 10 * 3 + 4  # gene 2, mark 5, bin 3
    assert train.counts_b[1, 4, 2] == 1000 + 134
    assert list(train.expression_a) == [1.0, 2.0]
    assert list(train.expression_b) == [3.0, 6.0]
    assert list(pair["test"].gene_ids) == SPLIT_GENES["test"]


def test_targets_are_the_log2_fold_change_of_b_over_a_and_each_log2_expression_plus_one():
    difference, log_a, log_b = differential_targets(np.array([0.0, 3.0]), np.array([7.0, 1.0]))
    assert difference == pytest.approx([3.0, -1.0])
    assert log_a == pytest.approx([0.0, 2.0])
    assert log_b == pytest.approx([3.0, 1.0])


def test_cells_holding_other_genes_in_a_split_are_a_mismatch_naming_both_files(tmp_path):
    _write_pair(tmp_path, cell_b_genes={"train": ["ENSG00000000005", "ENSG00000000003"]})
    with pytest.raises(DatasetMismatchError, match=r"Cell1\.train\.csv and .*Cell2\.train\.csv"):
        read_pair(tmp_path, "Cell1", "Cell2")


def test_a_gene_in_two_splits_is_refused(tmp_path):
    _write_pair(tmp_path)
    for cell in ("Cell1", "Cell2"):
        (tmp_path / f"{cell}.test.csv").write_text(_count_lines(["ENSG00000000003"]))
    with pytest.raises(DatasetMismatchError, match="share 1 genes"):
        read_pair(tmp_path, "Cell1", "Cell2")


def test_a_bin_out_of_order_names_file_and_line(tmp_path):
    path = tmp_path / "Cell1.train.csv"
    lines = _count_lines(SPLIT_GENES["train"]).splitlines()
    lines[4] = lines[4].replace("_SYM_2,", "_SYM_3,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFormatError, match=r"Cell1\.train\.csv:5: .*bin 2 of a gene"):
        read_counts(path)


def test_a_gene_cut_short_names_the_last_line(tmp_path):
    path = tmp_path / "Cell1.train.csv"
    path.write_text("".join(_count_lines(SPLIT_GENES["train"]).splitlines(True)[:-1]))
    with pytest.raises(InputFormatError, match=r":5: the last gene has fewer than 3 bins"):
        read_counts(path)


def test_a_count_that_is_not_a_whole_number_names_line_and_field(tmp_path):
    path = tmp_path / "Cell1.train.csv"
    path.write_text(_count_lines(SPLIT_GENES["train"]).replace("_SYM_2,20,", "_SYM_2,1.5,", 1))
    with pytest.raises(InputFormatError, match=r":2: count '1.5' \(field 2\)"):
        read_counts(path)


def test_a_gene_without_expression_names_the_expression_file(tmp_path):
    _write_pair(tmp_path)
    expression = tmp_path / "Cell2.expr.csv"
    expression.write_text(expression.read_text().replace("ENSG00000000419", "ENSG00000000999"))
    with pytest.raises(InputFormatError, match=r"Cell2\.expr\.csv: no expression for 1 genes"):
        read_pair(tmp_path, "Cell1", "Cell2")


def test_a_negative_expression_names_file_line_and_value(tmp_path):
    path = tmp_path / "Cell1.expr.csv"
    path.write_text("ENSG00000000003,4\nENSG00000000005,-2\n")
    with pytest.raises(InputFormatError, match=r"Cell1\.expr\.csv:2: expression '-2'"):
        read_expression(path)
