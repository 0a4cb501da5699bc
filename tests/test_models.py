"""The model registry and the DeepChrome CNN."""

import pytest
import torch

from chromexpr.errors import ConfigError
from chromexpr.models import MODELS, build_model, count_parameters
from chromexpr.models.deepchrome import DeepChromeCNN


def test_deepchrome_has_the_published_644177_parameters():
    assert count_parameters(build_model("deepchrome", n_marks=5, n_bins=100)) == 644_177


def test_deepchrome_maps_marks_by_bins_to_two_logits():
    model = DeepChromeCNN(n_marks=5, n_bins=100)
    counts = torch.rand(7, 5, 100)
    assert model.features(counts).shape == (7, 50, 18)
    assert model(counts).shape == (7, 2)


def test_deepchrome_adapts_its_first_linear_layer_to_the_bins():
    model = DeepChromeCNN(n_marks=3, n_bins=40)  # (40 - 10 + 1) // 5 = 6 positions
    assert model.classifier[2].in_features == 50 * 6
    assert model(torch.rand(2, 3, 40)).shape == (2, 2)


def test_deepchrome_rejects_too_few_bins_for_convolution_and_pooling():
    with pytest.raises(ValueError, match="12 bins"):
        DeepChromeCNN(n_bins=12)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_model_reads_marks_by_bins_and_returns_two_logits(name):
    model = build_model(name, n_marks=5, n_bins=100, n_outputs=2)
    genes = (1 + model.neighbours,) if getattr(model, "reads_neighbours", False) else ()
    assert model(torch.rand(3, *genes, 5, 100)).shape == (3, 2)


def test_unknown_model_is_a_config_error_listing_the_known_names():
    with pytest.raises(ConfigError, match="deepchrome") as error:
        build_model("deepchrom", n_marks=5, n_bins=100)
    assert error.value.key == "models"


def test_unknown_hyperparameter_is_a_config_error_naming_the_model():
    with pytest.raises(ConfigError, match="kernel") as error:
        build_model("deepchrome", n_marks=5, n_bins=100, kernel=3)
    assert error.value.key == "models.deepchrome"
