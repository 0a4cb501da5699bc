"""The published processed CSV layout: import checks and export of what the loaders read."""

import numpy as np
import pytest

from chromexpr.dataset import CellDataset
from chromexpr.errors import DatasetMismatchError, InputFormatError
from chromexpr.io.processed import export_processed, import_processed

N_BINS = 4
OFFSETS = np.arange(N_BINS) * 100 - 200


def block(gene="3", label="1", bins=range(1, N_BINS + 1)):
    return [f"{gene},{b},1,2,3,4,5,{label}" for b in bins]


def write_cell(root, cell="E003", train=None):
    """Three CSVs of one gene each; ``train`` replaces the train CSV's lines."""
    folder = root / cell / "classification"
    folder.mkdir(parents=True)
    lines = {"train": train or block("3"), "valid": block("5", "0"), "test": block("419")}
    for split, rows in lines.items():
        (folder / f"{split}.csv").write_text("\n".join(rows) + "\n")
    return folder / "train.csv"


def test_a_well_formed_cell_imports_with_ensembl_ids(tmp_path):
    write_cell(tmp_path)
    dataset = import_processed(tmp_path, "E003", OFFSETS)
    assert list(dataset.gene_ids) == ["ENSG00000000003", "ENSG00000000005", "ENSG00000000419"]
    assert list(dataset.labels) == [1, 0, 1]


def test_ensg_prefixed_gene_ids_are_read_as_the_same_gene(tmp_path):
    write_cell(tmp_path, train=block("ENSG00000000003"))
    assert import_processed(tmp_path, "E003", OFFSETS).gene_ids[0] == "ENSG00000000003"


def test_a_gene_id_that_is_not_ensembl_names_file_and_line(tmp_path):
    path = write_cell(tmp_path, train=block("3") + block("TSPAN6"))
    with pytest.raises(InputFormatError, match=f"{path}:5: gene id 'TSPAN6'"):
        import_processed(tmp_path, "E003", OFFSETS)


def test_a_block_whose_lines_name_two_genes_is_an_error_at_that_line(tmp_path):
    lines = block("3")
    lines[2] = lines[2].replace("3,", "7,", 1)
    path = write_cell(tmp_path, train=lines)
    with pytest.raises(InputFormatError, match=f"{path}:3: gene id '7' differs"):
        import_processed(tmp_path, "E003", OFFSETS)


def test_a_block_whose_lines_disagree_on_the_label_is_an_error_at_that_line(tmp_path):
    lines = block("3", "1")
    lines[3] = lines[3][:-1] + "0"
    path = write_cell(tmp_path, train=lines)
    with pytest.raises(InputFormatError, match=f"{path}:4: label '0' differs"):
        import_processed(tmp_path, "E003", OFFSETS)


@pytest.mark.parametrize("bins", [[1, 3, 2, 4], [1, 2, 4, 5]])
def test_bins_out_of_order_or_missing_name_the_line(tmp_path, bins):
    path = write_cell(tmp_path, train=block("3", bins=bins))
    with pytest.raises(InputFormatError, match=f"{path}:[23]: bin"):
        import_processed(tmp_path, "E003", OFFSETS)


def test_labels_other_than_0_and_1_are_refused_with_file_and_line(tmp_path):
    path = write_cell(tmp_path, train=block("3", "-1"))
    with pytest.raises(InputFormatError, match=f"{path}:1: label '-1'"):
        import_processed(tmp_path, "E003", OFFSETS)


def test_a_count_that_is_not_a_number_names_mark_and_line(tmp_path):
    lines = block("3")
    lines[1] = "3,2,1,x,3,4,5,1"
    path = write_cell(tmp_path, train=lines)
    with pytest.raises(InputFormatError, match=f"{path}:2: H3K36me3 count 'x'"):
        import_processed(tmp_path, "E003", OFFSETS)


def test_a_negative_count_names_file_mark_and_line(tmp_path):
    lines = block("3")
    lines[2] = "3,3,1,2,-7,4,5,1"
    path = write_cell(tmp_path, train=lines)
    with pytest.raises(InputFormatError, match=f"{path}:3: H3K4me1 count '-7' is negative"):
        import_processed(tmp_path, "E003", OFFSETS)


def test_genes_shared_between_the_split_files_are_refused_naming_both_and_the_count(tmp_path):
    # A test.csv copied from train.csv: the test AUC would be the training AUC.
    train = write_cell(tmp_path, train=block("3") + block("7"))
    test = train.parent / "test.csv"
    test.write_text(train.read_text())
    with pytest.raises(DatasetMismatchError, match=f"{train} and {test} share 2 genes"):
        import_processed(tmp_path, "E003", OFFSETS)


def test_float_counts_are_refused_on_export_since_the_loaders_read_integers(tmp_path):
    write_cell(tmp_path)
    dataset = import_processed(tmp_path, "E003", OFFSETS)
    signal = CellDataset(**{**vars(dataset), "counts": dataset.counts + 0.5})
    with pytest.raises(InputFormatError, match="not whole numbers"):
        export_processed(signal, tmp_path / "out")


def test_export_writes_integers_the_published_loaders_read(tmp_path):
    write_cell(tmp_path)
    dataset = import_processed(tmp_path, "E003", OFFSETS)
    as_float = CellDataset(**{**vars(dataset), "counts": dataset.counts.astype(np.float32)})
    export_processed(as_float, tmp_path / "out")
    line = (tmp_path / "out/E003/classification/train.csv").read_text().splitlines()[0]
    assert [int(field) for field in line.split(",")] == [3, 1, 1, 2, 3, 4, 5, 1]


def test_the_published_toy_folder_imports_under_its_own_name(tmp_path):
    write_cell(tmp_path, cell="Toy")
    assert import_processed(tmp_path, "Toy", OFFSETS).cell == "Toy"


def test_a_line_missing_a_field_names_file_line_and_the_fields_expected(tmp_path):
    lines = block("3")
    lines[2] = "3,3,1,2,3,4,5"
    path = write_cell(tmp_path, train=lines)
    with pytest.raises(InputFormatError, match=f"{path}:3: 7 comma-separated fields, expected 8: "):
        import_processed(tmp_path, "E003", OFFSETS)


def test_a_line_with_an_extra_field_names_file_and_line(tmp_path):
    lines = block("3")
    lines[1] = "3,2,1,2,3,4,5,1,9"
    path = write_cell(tmp_path, train=lines)
    with pytest.raises(
        InputFormatError, match=f"{path}:2: 9 comma-separated fields where line 1 has 8; expected"
    ):
        import_processed(tmp_path, "E003", OFFSETS)


def test_an_empty_split_file_names_the_file(tmp_path):
    write_cell(tmp_path)
    valid = tmp_path / "E003/classification/valid.csv"
    valid.write_text("")
    with pytest.raises(InputFormatError, match=f"{valid}: empty: no lines"):
        import_processed(tmp_path, "E003", OFFSETS)
