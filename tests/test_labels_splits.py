import numpy as np
import pandas as pd
import pytest
import yaml

from chromexpr.errors import InputFormatError, LabelError
from chromexpr.genome.tss import write_gene_table
from chromexpr.labels import (
    label_table,
    median_expression_labels,
    read_label_table,
    write_cell_labels,
    write_label_table,
)
from chromexpr.splits import contiguous_split, split_sizes

from .workflow_helpers import REPO


def test_label_is_high_at_or_above_the_median():
    assert median_expression_labels(np.array([0.0, 1.0, 2.0, 3.0, 4.0])).tolist() == [0, 0, 1, 1, 1]


def test_ties_with_a_non_zero_median_are_high():
    assert median_expression_labels(np.array([1.0, 2.0, 2.0, 5.0])).tolist() == [0, 1, 1, 1]


def test_with_a_zero_median_genes_above_zero_are_high():
    # Half the genes unexpressed: >= 0 would put every gene high.
    assert median_expression_labels(np.array([0.0, 0.0, 0.0, 5.0])).tolist() == [0, 0, 0, 1]
    expression = pd.DataFrame({"E003": [0.0, 0.0, 2.0]}, index=["G1", "G2", "G3"])
    table = label_table(["G1", "G2", "G3"], expression, ["E003"], "tpm")
    assert table["label"].tolist() == [0, 0, 1]


def test_values_all_at_the_median_stop_the_labels_naming_file_sample_and_share_of_zeros(tmp_path):
    gene_table_of_g1_g2(tmp_path)
    (tmp_path / "E003.tsv").write_text("gene_id\tE003\nG1\t0\nG2\t0\n")
    with pytest.raises(
        LabelError, match=r"E003\.tsv, sample E003: every one of 2 genes would be low.*100% zeros"
    ):
        write_cell_labels(
            tmp_path / "genes.tsv", tmp_path / "E003.tsv", ["E003"], "tpm", tmp_path / "l.tsv"
        )
    assert not (tmp_path / "l.tsv").exists()


def test_even_count_median_is_the_mean_of_the_middle_two():
    assert median_expression_labels(np.array([1.0, 2.0, 3.0, 4.0])).tolist() == [0, 0, 1, 1]


def test_labels_use_each_cell_types_own_median_and_ignore_other_columns():
    expression = pd.DataFrame(
        {"E000": [9, 9, 9], "E003": [1.0, 2.0, 3.0], "E004": [30.0, 20.0, 10.0]},
        index=["G1", "G2", "G3"],
    )
    table = label_table(["G1", "G2", "G3"], expression, ["E003", "E004"], "rpkm")
    assert table[table.cell == "E003"]["label"].tolist() == [0, 1, 1]
    assert table[table.cell == "E004"]["label"].tolist() == [1, 1, 0]


def test_a_gene_listed_twice_counts_once_in_the_median():
    expression = pd.DataFrame({"E003": [1.0, 2.0, 3.0, 4.0]}, index=["G1", "G2", "G3", "G4"])
    table = label_table(["G1", "G1", "G1", "G2", "G3", "G4"], expression, ["E003"], "tpm")
    assert table["median_expression"].iloc[0] == 2.5


def test_published_gene_count_splits_6601_6601_6600():
    assert split_sizes(19_802, {"train": 1, "valid": 1, "test": 1}) == {
        "train": 6601,
        "valid": 6601,
        "test": 6600,
    }


def test_annotation_gene_count_splits_in_thirds():
    sizes = split_sizes(19_795, {"train": 1, "valid": 1, "test": 1})
    assert sizes == {"train": 6599, "valid": 6599, "test": 6597}


def test_split_is_contiguous_train_then_valid_then_test():
    split = contiguous_split(10, {"train": 2, "valid": 1, "test": 1})
    assert split.tolist() == ["train"] * 5 + ["valid"] * 3 + ["test"] * 2


def test_split_weights_may_be_fractions_as_strings():
    assert split_sizes(9, {"train": "1/3", "valid": "1/3", "test": "1/3"})["test"] == 3


def test_split_rejects_all_zero_weights():
    with pytest.raises(Exception, match="split"):
        split_sizes(9, {"train": 0, "valid": 0, "test": 0})


def gene_table_of_g1_g2(folder):
    genes = pd.DataFrame(
        {
            "gene_id": ["G1", "G2"],
            "symbol": ["a", "b"],
            "chrom": ["chr1", "chr1"],
            "tss": [100, 200],
            "strand": ["+", "+"],
        }
    )
    write_gene_table(genes, folder / "genes.tsv")
    return folder / "genes.tsv"


def test_a_configured_cell_missing_from_the_expression_table_names_cell_key_and_file(tmp_path):
    gene_table_of_g1_g2(tmp_path)
    (tmp_path / "rpkm.tsv").write_text("gene_id\tE000\tE003\nG1\t1\t2\nG2\t1\t1\n")
    with pytest.raises(
        InputFormatError, match=r"rpkm.tsv:1: cell types \['E099'\] of config key 'cells'"
    ):
        write_cell_labels(
            tmp_path / "genes.tsv",
            tmp_path / "rpkm.tsv",
            ["E003", "E099"],
            "rpkm",
            tmp_path / "labels.tsv",
        )
    assert not (tmp_path / "labels.tsv").exists()


def test_the_median_can_count_each_listed_row():
    expression = pd.DataFrame({"E003": [1.0, 2.0, 3.0, 4.0]}, index=["G1", "G2", "G3", "G4"])
    table = label_table(
        ["G1", "G1", "G1", "G2", "G3", "G4"], expression, ["E003"], "tpm", median_over="rows"
    )
    assert table["median_expression"].iloc[0] == 1.5
    assert table["label"].tolist() == [0, 0, 0, 1, 1, 1]


def test_the_label_table_records_the_unit_of_its_values(tmp_path):
    (tmp_path / "E003.tsv").write_text("gene_id\tE003\nG1\t2\nG2\t1\n")
    write_cell_labels(
        gene_table_of_g1_g2(tmp_path), tmp_path / "E003.tsv", ["E003"], "fpkm", tmp_path / "l.tsv"
    )
    assert (tmp_path / "l.tsv").read_text().splitlines() == [
        "gene_id\tcell\texpression\tmedian_expression\tlabel\tunit",
        "G1\tE003\t2.0\t1.5\t1\tfpkm",
        "G2\tE003\t1.0\t1.5\t0\tfpkm",
    ]


def test_counts_are_labelled_as_the_tpm_they_were_turned_into(tmp_path):
    (tmp_path / "E003.tsv").write_text("gene_id\tE003\nG1\t2\nG2\t1\n")
    table = write_cell_labels(
        gene_table_of_g1_g2(tmp_path), tmp_path / "E003.tsv", ["E003"], "counts", tmp_path / "l.tsv"
    )
    assert table["unit"].tolist() == ["tpm", "tpm"]


def test_a_label_table_written_before_the_unit_was_recorded_is_read_unit_unknown(tmp_path):
    (tmp_path / "old.tsv").write_text(
        "gene_id\tcell\trpkm\tmedian_rpkm\tlabel\nG1\tE003\t2.0\t1.5\t1\n"
    )
    table = read_label_table(tmp_path / "old.tsv")
    assert table.iloc[0][["expression", "median_expression", "label", "unit"]].tolist() == [
        2.0,
        1.5,
        1,
        "unknown",
    ]


def test_a_label_table_reads_back_as_written(tmp_path):
    expression = pd.DataFrame({"E003": [1.0, 2.0]}, index=["G1", "G2"])
    table = label_table(["G1", "G2"], expression, ["E003"], "tpm")
    write_label_table(table, tmp_path / "labels.tsv")
    pd.testing.assert_frame_equal(
        read_label_table(tmp_path / "labels.tsv"), table, check_dtype=False
    )


def test_a_table_without_label_columns_is_named(tmp_path):
    (tmp_path / "labels.tsv").write_text("gene_id\tcell\nG1\tE003\n")
    with pytest.raises(InputFormatError, match=r"labels.tsv:1: not a label table: missing"):
        read_label_table(tmp_path / "labels.tsv")


def test_remc_preset_keeps_the_published_windows():
    config = yaml.safe_load((REPO / "config/remc.yaml").read_text())
    assert config["gene_set"] == "published" and config["published_coordinates"] is True
