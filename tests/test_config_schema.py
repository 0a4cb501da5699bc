import copy

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from .workflow_helpers import REPO

SCHEMA = str(REPO / "workflow/schemas/config.schema.yaml")


def demo_config():
    return yaml.safe_load((REPO / "config/config.yaml").read_text())


def test_demo_config_is_valid_and_gets_defaults():
    config = demo_config()
    validate(config, SCHEMA)
    assert config["counting"]["min_mapq"] == 0
    assert config["download"]["retries"] == 4


def test_remc_config_is_valid():
    config = yaml.safe_load((REPO / "config/remc.yaml").read_text())
    validate(config, SCHEMA)
    assert len(config["cells"]) == 56 and config["gene_set"] == "published"


def test_unknown_top_level_key_is_rejected_by_name():
    config = demo_config()
    config["cell"] = ["E003"]
    with pytest.raises(WorkflowError, match="cell"):
        validate(config, SCHEMA)


def test_unknown_nested_key_is_rejected_by_name():
    config = demo_config()
    config["bins"]["binsize"] = 50
    with pytest.raises(WorkflowError, match="binsize"):
        validate(config, SCHEMA)


@pytest.mark.parametrize("cell", ["E3", "e003", "../E003", "E0033"])
def test_bad_cell_id_is_rejected(cell):
    config = demo_config()
    config["cells"] = [cell]
    with pytest.raises(WorkflowError, match="does not match"):
        validate(config, SCHEMA)


def test_mark_names_cannot_contain_path_characters():
    config = demo_config()
    config["marks"] = ["H3K4me3/../x"]
    with pytest.raises(WorkflowError):
        validate(config, SCHEMA)


def test_empty_cell_list_is_rejected():
    config = demo_config()
    config["cells"] = []
    with pytest.raises(WorkflowError):
        validate(config, SCHEMA)


def test_reads_url_must_name_cell_and_mark():
    config = copy.deepcopy(demo_config())
    config["urls"]["reads"] = "https://example.org/reads.tagAlign.gz"
    with pytest.raises(WorkflowError):
        validate(config, SCHEMA)
