"""The per-cell dataset file: written and read back, today's format and the one before."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from chromexpr.assembly import assemble_cell_dataset
from chromexpr.dataset import CellDataset
from chromexpr.errors import InputFormatError

from .test_training import learnable_cell


def test_a_dataset_reads_back_as_written_with_its_unit(tmp_path):
    dataset = learnable_cell()
    dataset.save(tmp_path / "E999.npz")
    loaded = CellDataset.load(tmp_path / "E999.npz")
    assert (loaded.cell, loaded.expression_unit) == ("E999", "tpm")
    np.testing.assert_array_equal(loaded.expression, dataset.expression)
    np.testing.assert_array_equal(loaded.counts, dataset.counts)
    with np.load(tmp_path / "E999.npz") as archive:
        assert int(archive["format_version"]) == 2 and "rpkm" not in archive.files


def test_a_format_1_dataset_is_read_its_rpkm_as_expression_of_unknown_unit(tmp_path):
    dataset = learnable_cell()
    # As chromexpr wrote datasets before format 2: the expression named rpkm, no unit, no version.
    arrays = {
        name: np.asarray(value)
        for name, value in vars(dataset).items()
        if name not in ("expression", "expression_unit")
    }
    np.savez_compressed(tmp_path / "E999.npz", rpkm=dataset.expression, **arrays)
    loaded = CellDataset.load(tmp_path / "E999.npz")
    assert loaded.expression_unit == "unknown"
    np.testing.assert_array_equal(loaded.expression, dataset.expression)
    np.testing.assert_array_equal(loaded.labels, dataset.labels)


def test_a_dataset_of_a_newer_format_asks_to_update_chromexpr(tmp_path):
    dataset = learnable_cell()
    arrays = {name: np.asarray(value) for name, value in vars(dataset).items()}
    np.savez_compressed(tmp_path / "E999.npz", format_version=3, **arrays)
    with pytest.raises(InputFormatError, match="E999.npz: dataset format 3 is newer"):
        CellDataset.load(tmp_path / "E999.npz")


def test_a_file_missing_arrays_names_them(tmp_path):
    np.savez_compressed(tmp_path / "E999.npz", cell=np.asarray("E999"))
    with pytest.raises(InputFormatError, match=r"not a chromexpr dataset: missing \['bin_offsets'"):
        CellDataset.load(tmp_path / "E999.npz")


def test_a_dataset_without_mark_kinds_takes_them_from_its_counts_type(tmp_path):
    dataset = learnable_cell()
    assert dataset.input_kind == "reads" and set(dataset.mark_kinds) == {"reads"}
    arrays = {name: np.asarray(value) for name, value in vars(dataset).items()}
    del arrays["mark_kinds"]
    arrays["counts"] = dataset.counts.astype(np.float32)
    np.savez_compressed(tmp_path / "E999.npz", format_version=2, **arrays)
    older = CellDataset.load(tmp_path / "E999.npz")
    assert older.input_kind == "signal" and set(older.mark_kinds) == {"signal"}


def test_normalised_read_counts_stay_reads_and_one_signal_mark_makes_a_signal_sample():
    dataset = learnable_cell()
    floats = replace(dataset, counts=dataset.counts.astype(np.float32))
    assert floats.input_kind == "reads"
    kinds = ["reads", "signal", "reads", "reads", "reads"]
    one_signal = replace(floats, mark_kinds=np.array(kinds))
    assert one_signal.input_kind == "signal"
    with pytest.raises(ValueError, match="mark_kinds"):
        replace(dataset, mark_kinds=np.array(["reads", "bigwig", "reads", "reads", "reads"]))


def test_reads_beside_signal_marks_are_stored_as_float32():
    """int32 read counts and float32 bigWig means of one cell's marks stack to float64 in
    numpy; the dataset keeps float32, as its layout says, with every value unchanged."""
    genes = pd.DataFrame(
        {"gene_id": ["g1", "g2"], "symbol": ["A", "B"], "chrom": "chr1", "tss": [10, 20]}
    ).assign(strand="+")
    labels = pd.DataFrame(
        {"cell": "K562", "gene_id": ["g1", "g2"], "label": [1, 0], "expression": [2.0, 0.5]}
    ).assign(unit="tpm")
    split = pd.DataFrame({"gene_id": ["g1", "g2"], "split": ["train", "test"]})
    reads = np.array([[3, 0, 7], [1, 2, 16_000_001]], dtype=np.int32)
    signal = np.array([[0.1, 0.25, 3.3], [0.0, 1e-4, 2.5]], dtype=np.float32)
    dataset = assemble_cell_dataset(
        "K562", genes, labels, split, {"H3K4me3": reads, "H3K9me3": signal}, np.array([0, 1, 2])
    )
    assert dataset.counts.dtype == np.float32
    assert dataset.mark_kinds.tolist() == ["reads", "signal"]
    assert np.array_equal(dataset.counts[:, 0], reads) and np.array_equal(
        dataset.counts[:, 1], signal
    )
