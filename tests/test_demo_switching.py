"""The demo's switching genes: drawn apart from everything else, and their truth."""

import numpy as np
import pandas as pd
import pytest

from chromexpr.demo.biology import switch_states, switching_genes
from chromexpr.demo.mirror import RPKM_NAME, draw_genes, write_demo_mirror
from chromexpr.demo.switching import pair_truth
from chromexpr.errors import ConfigError
from chromexpr.genome.bins import bin_offsets

MARKS = ["H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3"]


def rpkm(folder) -> pd.DataFrame:
    return pd.read_csv(folder / RPKM_NAME, sep="\t").set_index("gene_id")


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory):
    """The same small demo without and with switching genes (H3K4me3 only)."""
    folders = {}
    for share in (0.0, 0.5):
        folders[share] = tmp_path_factory.mktemp(f"share-{share}")
        write_demo_mirror(folders[share], ["E003", "E004"], ["H3K4me3"], 2, 200, switching=share)
    return folders


def test_a_larger_share_keeps_the_switching_genes_of_a_smaller_one():
    few, more = switching_genes(1, 1000, 0.1), switching_genes(1, 1000, 0.4)
    assert 60 < few.sum() < 140 and 330 < more.sum() < 470
    assert not (few & ~more).any()
    assert not switching_genes(1, 1000, 0.0).any()


def test_a_cells_states_depend_on_its_name_alone():
    assert np.array_equal(switch_states(1, "E003", 50), switch_states(1, "E003", 50))
    assert not np.array_equal(switch_states(1, "E003", 50), switch_states(1, "E004", 50))
    assert set(np.unique(switch_states(1, "E003", 50))) == {-1, 1}


def test_switching_changes_the_expression_of_switching_genes_only(mirrors):
    plain, switched = rpkm(mirrors[0.0]), rpkm(mirrors[0.5])
    ids = draw_genes(2, 200).genes.ensembl_ids
    switching = set(ids[switching_genes(2, len(ids), 0.5)])
    changed = set(plain.index[(plain != switched).any(axis=1)])
    # Every gene whose expression moved switches; a switching gene may keep an RPKM of 0.
    assert changed <= switching and len(changed) > 0.9 * len(switching)
    truth = pair_truth(2, 200, 0.5, "E003", "E004", MARKS, bin_offsets(5000, 100), False)
    assert set(truth.gene_ids) < switching


def test_the_truth_says_which_way_a_switching_gene_goes(mirrors):
    table = rpkm(mirrors[0.5])
    truth = pair_truth(2, 200, 0.5, "E003", "E004", MARKS, bin_offsets(5000, 100), False)
    fold_change = np.log2((table["E004"] + 1) / (table["E003"] + 1)).loc[truth.gene_ids]
    assert np.mean(np.sign(fold_change) == truth.direction) > 0.9
    # H3K4me3 rises where the gene is on: in B for genes going up.
    mark = MARKS.index("H3K4me3")
    gain = truth.expected_b[:, mark].sum(axis=1) - truth.expected_a[:, mark].sum(axis=1)
    assert np.all(np.sign(gain) == truth.direction)
    assert truth.mark_change().shape == (len(truth.gene_ids), len(MARKS))
    assert (
        truth.mark_change()[:, mark].mean() > truth.mark_change()[:, MARKS.index("H3K36me3")].mean()
    )


def test_no_share_has_no_truth():
    with pytest.raises(ConfigError, match="demo.switching"):
        pair_truth(2, 200, 0.0, "E003", "E004", MARKS, bin_offsets(5000, 100), False)
