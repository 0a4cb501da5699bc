"""SimpleChrome: neighbour lookup, the autoencoder stage, and training with and without neighbours."""

import numpy as np
import pytest
import torch

from chromexpr.models import build_model, count_parameters
from chromexpr.neighbours import neighbour_index
from chromexpr.train import TrainingSettings, train_cell
from chromexpr.train.inputs import model_inputs
from tests.test_training import learnable_cell


def test_position_neighbours_are_the_nearest_tss_on_the_same_chromosome():
    chrom = np.array(["chr1", "chr1", "chr2", "chr1", "chr1", "chr2"])
    tss = np.array([100, 1_000, 50, 1_100, 5_000, 60])
    index = neighbour_index(chrom, tss, k=2, order="position")
    # Row 1 (1,000): 1,100 is 100 away, 100 is 900 away; never a chr2 gene.
    assert index[1].tolist() == [3, 0]
    assert index[4].tolist() == [3, 1]
    # chr2 has two genes: the second place repeats the gene itself.
    assert index[2].tolist() == [5, 2]


def test_ensembl_neighbours_alternate_next_and_previous_rows_and_fill_at_the_ends():
    chrom = np.array(["chr1"] * 5)
    index = neighbour_index(chrom, np.zeros(5, dtype=np.int64), k=2, order="ensembl")
    assert index[2].tolist() == [3, 1]
    assert index[0].tolist() == [1, 2]
    assert index[4].tolist() == [3, 2]


def test_unknown_neighbour_order_is_rejected():
    with pytest.raises(ValueError, match="position"):
        neighbour_index(np.array(["chr1"]), np.array([0]), k=1, order="random")


def test_model_inputs_put_the_gene_first_then_its_neighbours():
    dataset = learnable_cell()
    model = build_model("simplechrome", 5, 100, neighbours=3)
    inputs = model_inputs("simplechrome", model, dataset, "raw")
    assert inputs.shape == (dataset.n_genes, 4, 5, 100)
    np.testing.assert_array_equal(inputs[:, 0], dataset.counts.astype(np.float32))
    # Genes sit 10 kb apart on chr1: gene 7's nearest are 6 and 8 (upstream first), then 5.
    np.testing.assert_array_equal(inputs[7, 1:], dataset.counts[[6, 8, 5]].astype(np.float32))


def test_self_variant_reads_only_the_gene_and_has_a_smaller_classifier():
    with_neighbours = build_model("simplechrome", 5, 100, neighbours=4)
    alone = build_model("simplechrome_self", 5, 100)
    assert alone.neighbours == 0
    assert alone(torch.rand(2, 1, 5, 100)).shape == (2, 2)
    assert count_parameters(with_neighbours) - count_parameters(alone) == 4 * 10 * 256
    with pytest.raises(ValueError, match="simplechrome_self"):
        build_model("simplechrome_self", 5, 100, neighbours=2)


@pytest.mark.parametrize("autoencoder", ["vae", "ae"])
def test_pretraining_lowers_the_reconstruction_loss_and_freezes_the_autoencoder(autoencoder):
    torch.manual_seed(0)
    counts = torch.as_tensor(learnable_cell().counts, dtype=torch.float32)[:, None]
    model = build_model("simplechrome_self", 5, 100, autoencoder=autoencoder, pretrain_epochs=20)
    model.eval()
    with torch.no_grad():
        torch.manual_seed(1)
        before = model.autoencoder_loss(counts[:, 0]).item()
    model.pretrain(counts)
    with torch.no_grad():
        torch.manual_seed(1)
        after = model.autoencoder_loss(counts[:, 0]).item()
    assert after < before
    assert not any(p.requires_grad for p in model.encoder.parameters())
    assert all(p.requires_grad for p in model.classifier.parameters())


def test_simplechrome_trains_with_neighbours_and_records_its_settings(tmp_path):
    settings = TrainingSettings.from_config(
        "simplechrome",
        {"recipe": "fast", "epochs": 3, "batch_size": 8, "device": "cpu"},
        {"neighbours": 2, "pretrain_epochs": 2},
    )
    metrics = train_cell(learnable_cell(), settings, tmp_path)
    assert metrics["settings"]["model_params"] == {"neighbours": 2, "pretrain_epochs": 2}
    assert 0.0 <= metrics["test_auc"] <= 1.0
    state = torch.load(tmp_path / "model.pt", weights_only=True)["state_dict"]
    fresh = build_model("simplechrome", 5, 100, neighbours=2)
    fresh.load_state_dict(state)
