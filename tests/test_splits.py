"""Split methods: published (contiguous), chromosomes, blocks dealt to folds."""

import numpy as np
import pandas as pd
import pytest

from chromexpr.dataset import CellDataset
from chromexpr.errors import ConfigError, DatasetMismatchError
from chromexpr.genome.tss import write_gene_table
from chromexpr.splits import (
    assign_blocks,
    chromosome_split,
    dataset_with_split,
    method_splits,
    position_blocks,
    read_split_table,
    write_gene_splits,
    write_split_table,
)

WINDOW = 5000


def gene_table(chrom, tss) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gene_id": [f"G{index:04d}" for index in range(len(tss))],
            "symbol": "",
            "chrom": chrom,
            "tss": np.asarray(tss, dtype=np.int64),
            "strand": "+",
        }
    )


def random_genes(n_genes: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    chrom = rng.choice(["chr1", "chr2", "chr10", "chrX"], size=n_genes)
    return gene_table(chrom, rng.integers(0, 50_000_000, size=n_genes))


BLOCKS = {"method": "blocks", "folds": 4, "block_size": 1_000_000, "seed": 3}


def test_published_method_is_the_contiguous_split():
    (split,) = method_splits(random_genes(9), {"train": 1, "valid": 1, "test": 1}, WINDOW)
    assert split.tolist() == ["train"] * 3 + ["valid"] * 3 + ["test"] * 3


def test_chromosome_split_uses_exactly_the_named_chromosomes():
    genes = random_genes()
    split = chromosome_split(genes["chrom"].to_numpy(str), ["chr2"], ["chrX", "chr10"])
    assert set(genes["chrom"][split == "test"]) == {"chr2"}
    assert set(genes["chrom"][split == "valid"]) == {"chrX", "chr10"}
    assert set(genes["chrom"][split == "train"]) == {"chr1"}


def test_a_named_chromosome_without_genes_is_a_config_error():
    genes = random_genes()
    with pytest.raises(ConfigError, match=r"split.test_chromosomes.*chr22.*no genes"):
        chromosome_split(genes["chrom"].to_numpy(str), ["chr22"], ["chr1"])


def test_a_chromosome_named_for_test_and_validation_is_a_config_error():
    with pytest.raises(ConfigError, match="split.valid_chromosomes"):
        chromosome_split(np.array(["chr1", "chr2"]), ["chr1"], ["chr1"])


def test_chromosomes_leaving_nothing_to_train_is_a_config_error():
    with pytest.raises(ConfigError, match="no gene to train"):
        chromosome_split(np.array(["chr1", "chr2"]), ["chr1"], ["chr2"])


def test_blocks_hold_neighbours_whose_windows_overlap():
    # 0 -> 9,000 overlap (< 2 x window); 9,000 -> 30,000 do not, and the block is long enough.
    genes = gene_table(["chr1"] * 4, [0, 9_000, 30_000, 39_999])
    blocks = position_blocks(genes["chrom"].to_numpy(str), genes["tss"].to_numpy(), 1, WINDOW)
    assert blocks.tolist() == [0, 0, 1, 1]


def test_blocks_end_only_where_windows_are_more_than_the_margin_apart():
    # Windows of TSSs 2 x window apart touch: a read across the edge would count for both blocks.
    genes = gene_table(["chr1"] * 4, [0, 10_000, 21_000, 32_001])
    chrom, tss = genes["chrom"].to_numpy(str), genes["tss"].to_numpy()
    assert position_blocks(chrom, tss, 1, WINDOW).tolist() == [0, 0, 0, 1]  # margin 1000 bp
    assert position_blocks(chrom, tss, 1, WINDOW, margin=0).tolist() == [0, 0, 1, 2]
    split = {**BLOCKS, "block_size": 1, "folds": 3, "margin": 20_000}
    with pytest.raises(ConfigError, match="split.block_size.*1 blocks cannot fill 3 folds"):
        method_splits(genes, split, WINDOW)


def test_a_negative_margin_is_a_config_error():
    with pytest.raises(ConfigError, match="split.margin"):
        position_blocks(np.array(["chr1"]), np.array([0]), 1, WINDOW, margin=-1)


def test_blocks_reach_at_least_the_block_size_and_never_cross_chromosomes():
    genes = gene_table(["chr1", "chr1", "chr1", "chr2"], [0, 50_000, 120_000, 130_000])
    blocks = position_blocks(genes["chrom"].to_numpy(str), genes["tss"].to_numpy(), 100_000, WINDOW)
    assert blocks.tolist() == [0, 0, 1, 2]


def test_no_two_blocks_have_overlapping_windows():
    genes = random_genes(2000)
    blocks = position_blocks(genes["chrom"].to_numpy(str), genes["tss"].to_numpy(), 200_000, WINDOW)
    genes["block"] = blocks
    for _, on_chrom in genes.sort_values(["chrom", "tss"]).groupby("chrom"):
        changes = on_chrom["block"].diff().fillna(0).to_numpy() != 0
        gaps = on_chrom["tss"].diff().to_numpy()
        assert (gaps[changes] > 2 * WINDOW + 1000).all()


def test_every_gene_is_in_exactly_one_part_and_tested_in_exactly_one_fold():
    splits = method_splits(random_genes(), BLOCKS, WINDOW)
    assert len(splits) == 4
    tested = np.stack([split == "test" for split in splits])
    assert (tested.sum(axis=0) == 1).all()
    for split in splits:
        assert set(split) == {"train", "valid", "test"}


def test_validation_genes_of_a_fold_are_the_test_genes_of_the_next():
    splits = method_splits(random_genes(), BLOCKS, WINDOW)
    for fold, split in enumerate(splits):
        np.testing.assert_array_equal(split == "valid", splits[(fold + 1) % 4] == "test")


def test_a_block_is_never_cut_between_parts():
    genes = random_genes()
    blocks = position_blocks(
        genes["chrom"].to_numpy(str), genes["tss"].to_numpy(), BLOCKS["block_size"], WINDOW
    )
    for split in method_splits(genes, BLOCKS, WINDOW):
        parts_per_block = pd.Series(split).groupby(blocks).nunique()
        assert (parts_per_block == 1).all()


def test_fold_sizes_differ_by_at_most_the_largest_block():
    blocks = np.repeat(np.arange(40), np.random.default_rng(1).integers(1, 30, size=40))
    sizes = np.bincount(assign_blocks(blocks, 5, seed=2), minlength=5)
    assert sizes.max() - sizes.min() <= np.bincount(blocks).max()


def test_fold_assignment_is_deterministic_with_the_seed_and_changes_with_it():
    blocks = np.repeat(np.arange(40), 5)
    first = assign_blocks(blocks, 4, seed=1)
    np.testing.assert_array_equal(first, assign_blocks(blocks, 4, seed=1))
    assert not np.array_equal(first, assign_blocks(blocks, 4, seed=2))


def test_fewer_blocks_than_folds_is_a_config_error():
    with pytest.raises(ConfigError, match="split.block_size"):
        assign_blocks(np.array([0, 0, 1]), 3, seed=1)


def test_blocks_need_three_folds():
    with pytest.raises(ConfigError, match="split.folds.*at least 3"):
        method_splits(random_genes(), {**BLOCKS, "folds": 2}, WINDOW)


def test_published_split_has_one_fold():
    with pytest.raises(ConfigError, match="split.folds.*one fold"):
        method_splits(random_genes(), {"method": "published", "folds": 3}, WINDOW)


def test_each_fold_is_written_to_its_own_split_table(tmp_path):
    genes = random_genes(300)
    write_gene_table(genes, tmp_path / "genes.tsv")
    paths = [tmp_path / f"fold-{fold}.tsv" for fold in range(4)]
    splits = write_gene_splits(tmp_path / "genes.tsv", BLOCKS, WINDOW, paths)
    for path, split in zip(paths, splits, strict=True):
        table = read_split_table(path)
        assert table["gene_id"].tolist() == genes["gene_id"].tolist()
        assert table["split"].tolist() == split.tolist()


def test_a_split_table_of_other_genes_is_refused_naming_it(tmp_path):
    dataset = CellDataset(
        cell="E003",
        gene_ids=np.array(["G1", "G2"]),
        symbols=np.array(["", ""]),
        chrom=np.array(["chr1", "chr1"]),
        tss=np.array([0, 50_000]),
        strand=np.array(["+", "+"]),
        counts=np.zeros((2, 1, 2), dtype=np.int32),
        labels=np.array([0, 1], dtype=np.int8),
        expression=np.array([0.0, 1.0]),
        expression_unit="rpkm",
        split=np.array(["train", "test"]),
        marks=np.array(["H3K4me3"]),
        bin_offsets=np.array([-100, 0]),
    )
    table = tmp_path / "fold-1.tsv"
    write_split_table(["G1", "G2"], np.array(["test", "train"]), table)
    assert dataset_with_split(dataset, table).split.tolist() == ["test", "train"]
    write_split_table(["G2", "G1"], np.array(["test", "train"]), table)
    with pytest.raises(DatasetMismatchError, match="fold-1.tsv.*E003"):
        dataset_with_split(dataset, table)


def test_a_split_table_listing_a_gene_in_two_parts_is_refused_naming_it(tmp_path):
    table = tmp_path / "fold-2.tsv"
    write_split_table(["G1", "G2", "G1"], np.array(["train", "valid", "test"]), table)
    with pytest.raises(
        DatasetMismatchError,
        match=r"fold-2.tsv \(train\) and .*fold-2.tsv "
        r"\(test\) share 1 genes \(first G1\)",
    ):
        read_split_table(table)
