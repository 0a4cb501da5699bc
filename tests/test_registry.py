"""The model registry: names and capabilities without torch, stated once on each class."""

import subprocess
import sys

import pytest

from chromexpr.errors import ConfigError
from chromexpr.models import CAPABILITY_NAMES, MODELS, capabilities, model_class, models_with


def test_the_registry_reads_names_and_capabilities_without_importing_torch():
    code = (
        "import sys; from chromexpr.models import MODELS, capabilities; "
        "[capabilities(name) for name in MODELS]; print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_capabilities_read_from_source_equal_the_class_attributes(name):
    cls = model_class(name)
    stated = capabilities(name)
    for capability in CAPABILITY_NAMES:
        assert getattr(stated, capability) == getattr(cls, capability, False), capability


@pytest.mark.parametrize(
    ("capability", "method"),
    [
        ("has_attention", "attention"),
        ("pretrains", "pretrain"),
        ("fits_input_statistics", "fit_input_statistics"),
    ],
)
def test_a_model_with_a_capability_has_its_method(capability, method):
    for name in MODELS:
        assert hasattr(model_class(name), method) == getattr(capabilities(name), capability), name


def test_capabilities_of_the_zoo():
    assert models_with("has_attention") == ["attentivechrome"]
    assert models_with("reads_neighbours") == ["simplechrome", "simplechrome_self"]
    assert models_with("fits_input_statistics") == ["linear"]


def test_an_unknown_model_is_a_config_error_listing_the_known():
    with pytest.raises(ConfigError, match="unknown model 'deepchrom'.*deepchrome"):
        capabilities("deepchrom")
