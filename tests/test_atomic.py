"""Atomic writes: a final name only ever holds a complete file."""

import pandas as pd
import pytest

from chromexpr.atomic import atomic_path, write_tsv


def test_a_failed_write_leaves_neither_the_file_nor_its_temporary(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "x.tsv") as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_the_temporary_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    (tmp_path / ".x.npy.a1b2c3d4.part.npy").write_bytes(b"partial")
    with atomic_path(tmp_path / "x.npy", suffix=".npy") as tmp:
        tmp.write_bytes(b"whole")
    assert [path.name for path in tmp_path.iterdir()] == ["x.npy"]


def test_the_temporary_of_another_output_with_a_longer_name_is_left_alone(tmp_path):
    other = tmp_path / ".x.b.a1b2c3d4.part"  # being written for x.b, by another job
    other.write_bytes(b"in progress")
    with atomic_path(tmp_path / "x") as tmp:
        tmp.write_bytes(b"whole")
    assert other.exists() and (tmp_path / "x").read_bytes() == b"whole"


def test_write_tsv_writes_a_header_tab_separated_rows_and_a_final_newline(tmp_path):
    table = pd.DataFrame({"gene_id": ["ENSG1", "ENSG2"], "auc": [0.5, 1 / 3]})
    write_tsv(table, tmp_path / "t.tsv")
    write_tsv(table, tmp_path / "short.tsv", float_format="%.3g")
    write_tsv(table, tmp_path / "t.bed", header=False)
    assert (
        tmp_path / "t.tsv"
    ).read_text() == "gene_id\tauc\nENSG1\t0.5\nENSG2\t0.3333333333333333\n"
    assert (tmp_path / "short.tsv").read_text() == "gene_id\tauc\nENSG1\t0.5\nENSG2\t0.333\n"
    assert (tmp_path / "t.bed").read_text() == "ENSG1\t0.5\nENSG2\t0.3333333333333333\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["short.tsv", "t.bed", "t.tsv"]
