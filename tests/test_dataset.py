"""The per-cell dataset file: written and read back, today's format and the one before."""

from dataclasses import replace

import numpy as np
import pytest

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


def test_input_kind_is_reads_for_integer_counts_and_signal_otherwise():
    dataset = learnable_cell()
    assert dataset.input_kind == "reads"
    assert replace(dataset, counts=dataset.counts.astype(np.float32)).input_kind == "signal"
