import numpy as np
import pandas as pd
import pytest
import yaml

from chromexpr.errors import InputFormatError
from chromexpr.genome.tss import write_gene_table
from chromexpr.labels import label_table, median_rpkm_labels, write_cell_labels
from chromexpr.splits import contiguous_split, split_sizes

from .workflow_helpers import REPO


def test_label_is_high_at_or_above_the_median():
    assert median_rpkm_labels(np.array([0.0, 1.0, 2.0, 3.0, 4.0])).tolist() == [0, 0, 1, 1, 1]


def test_ties_with_the_median_are_high():
    assert median_rpkm_labels(np.array([0.0, 0.0, 0.0, 5.0])).tolist() == [1, 1, 1, 1]


def test_even_count_median_is_the_mean_of_the_middle_two():
    assert median_rpkm_labels(np.array([1.0, 2.0, 3.0, 4.0])).tolist() == [0, 0, 1, 1]


def test_labels_use_each_cell_types_own_median_and_ignore_other_columns():
    rpkm = pd.DataFrame(
        {"E000": [9, 9, 9], "E003": [1.0, 2.0, 3.0], "E004": [30.0, 20.0, 10.0]},
        index=["G1", "G2", "G3"],
    )
    table = label_table(["G1", "G2", "G3"], rpkm, ["E003", "E004"])
    assert table[table.cell == "E003"]["label"].tolist() == [0, 1, 1]
    assert table[table.cell == "E004"]["label"].tolist() == [1, 1, 0]


def test_a_gene_listed_twice_counts_once_in_the_median():
    rpkm = pd.DataFrame({"E003": [1.0, 2.0, 3.0, 4.0]}, index=["G1", "G2", "G3", "G4"])
    table = label_table(["G1", "G1", "G1", "G2", "G3", "G4"], rpkm, ["E003"])
    assert table["median_rpkm"].iloc[0] == 2.5


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


def test_a_configured_cell_missing_from_the_rpkm_table_names_cell_key_and_file(tmp_path):
    genes = pd.DataFrame(
        {"gene_id": ["G1"], "symbol": ["a"], "chrom": ["chr1"], "tss": [100], "strand": ["+"]}
    )
    write_gene_table(genes, tmp_path / "genes.tsv")
    (tmp_path / "rpkm.tsv").write_text("gene_id\tE000\tE003\nG1\t1\t2\n")
    with pytest.raises(
        InputFormatError, match=r"rpkm.tsv:1: cell types \['E099'\] of config key 'cells'"
    ):
        write_cell_labels(
            tmp_path / "genes.tsv", tmp_path / "rpkm.tsv", ["E003", "E099"], tmp_path / "labels.tsv"
        )
    assert not (tmp_path / "labels.tsv").exists()


def test_the_median_can_count_each_listed_row():
    rpkm = pd.DataFrame({"E003": [1.0, 2.0, 3.0, 4.0]}, index=["G1", "G2", "G3", "G4"])
    table = label_table(["G1", "G1", "G1", "G2", "G3", "G4"], rpkm, ["E003"], median_over="rows")
    assert table["median_rpkm"].iloc[0] == 1.5
    assert table["label"].tolist() == [0, 0, 0, 1, 1, 1]


def test_remc_preset_keeps_the_published_windows():
    config = yaml.safe_load((REPO / "config/remc.yaml").read_text())
    assert config["gene_set"] == "published" and config["published_coordinates"] is True
