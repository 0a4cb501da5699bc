import copy
import re

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from .workflow_helpers import REPO, copy_workflow, snakemake

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


def test_zoo_overlay_names_every_registered_model_and_is_valid():
    from snakemake.utils import update_config

    from chromexpr.models import MODELS

    config = demo_config()
    zoo = yaml.safe_load((REPO / "config/zoo.yaml").read_text())
    update_config(config, zoo)
    validate(config, SCHEMA)
    assert sorted(config["models"]) == sorted(MODELS)
    assert config["interpret"]["enabled"] and "attentivechrome" in config["interpret"]["models"]


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


@pytest.mark.parametrize("cell", ["../E003", "a/b", "x..y", "GM 12878", "", "K562\n"])
def test_unsafe_cell_name_is_rejected(cell):
    config = demo_config()
    config["cells"] = [cell]
    with pytest.raises(WorkflowError, match="does not match"):
        validate(config, SCHEMA)


@pytest.mark.parametrize("cell", ["E003", "K562", "GM12878_rep1", "Toy", "HepG2.v2-a"])
def test_any_safe_sample_name_is_accepted(cell):
    config = demo_config()
    config["cells"] = [cell]
    config["interpret"]["cells"] = [cell]
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


def test_wrong_type_is_rejected_naming_the_key():
    config = demo_config()
    config["bins"]["window"] = "5000"
    with pytest.raises(WorkflowError, match=r"instance\['bins'\]\['window'\]"):
        validate(config, SCHEMA)


def test_a_cell_listed_twice_is_rejected():
    config = demo_config()
    config["cells"] = ["E003", "E004", "E003"]
    with pytest.raises(WorkflowError, match=r"instance\['cells'\]"):
        validate(config, SCHEMA)


@pytest.mark.parametrize("marks", [[], ["H3K4me3", "H3K27me3", "H3K4me3"]])
def test_marks_need_at_least_one_mark_and_no_repeats(marks):
    config = demo_config()
    config["marks"] = marks
    with pytest.raises(WorkflowError, match=r"instance\['marks'\]"):
        validate(config, SCHEMA)


@pytest.mark.workflow
@pytest.mark.parametrize(
    ("override", "named"),
    [
        # The first rule check_config runs, and one of the last.
        (
            "bins: {window: 5000, bin_size: 300}",
            "config key 'bins.bin_size': 300 does not divide the window 2 x 5000 (set in bad.yaml)",
        ),
        (
            "models: [deepchrome, gbdt]\ninterpret: {enabled: true, models: [gbdt]}",
            "config key 'interpret.models': ['gbdt'] have no gradient",
        ),
    ],
)
def test_a_bad_config_stops_the_workflow_at_parse_time_naming_key_and_file(
    tmp_path, override, named
):
    # Each rule has its unit tests (tests/test_config_*.py); this shows the workflow runs them.
    workdir = copy_workflow(tmp_path)
    (workdir / "bad.yaml").write_text(override + "\n")
    result = snakemake(workdir, "-n", "--configfile", "config/config.yaml", "bad.yaml", check=False)
    assert result.returncode != 0
    assert named in result.stdout + result.stderr


def planned(tmp_path, override):
    """The dry run's job list for the demo with ``override`` layered on."""
    workdir = copy_workflow(tmp_path)
    (workdir / "override.yaml").write_text(override + "\n")
    return snakemake(
        workdir,
        "-n",
        "results/tables/auc.tsv",
        "--configfile",
        "config/config.yaml",
        "override.yaml",
    ).stdout


@pytest.mark.parametrize(
    ("device", "together", "gpus"), [("auto", False, 1), ("cuda", True, 1), ("cpu", False, 0)]
)
def test_side_by_side_and_gpu_requests_follow_the_config_not_the_machine(
    tmp_path, device, together, gpus
):
    training = f"training: {{recipe: published, device: {device}}}"
    plan = planned(tmp_path, f"models: [deepchrome]\n{training}")
    assert ("rule train_side_by_side_0" in plan) == together
    assert ("rule train_model:" in plan) != together
    assert set(re.findall(r"gpu=(\d+)", plan)) == {str(gpus)}


def test_a_fai_file_or_a_bundled_name_serves_as_the_genome(tmp_path):
    sizes = (REPO / "resources/hg38.chrom.sizes").read_text().splitlines()
    fai = "".join(f"{line}\t0\t60\t61\n" for line in sizes)  # samtools faidx's five columns
    (tmp_path / "genome.fa.fai").write_text(fai)
    plan = planned(tmp_path, "genome: genome.fa.fai")
    assert "genome.fa.fai" in plan and "hg19.chrom.sizes" not in plan
    # The demo simulates hg19's chr1 and chr21 (refused on mm10 at parse time): plan without it.
    mm10 = planned(tmp_path / "mm10", "genome: mm10\ndemo: {enabled: false}")
    assert "resources/mm10.chrom.sizes" in mm10


def test_the_schemas_default_recipe_is_the_harness_default():
    from chromexpr.train.settings import DEFAULT_RECIPE

    config = demo_config()
    del config["training"]["recipe"]
    validate(config, SCHEMA)
    assert config["training"]["recipe"] == DEFAULT_RECIPE


def test_nested_command_line_values_are_read_as_yaml_values(tmp_path):
    # Snakemake reads a nested --config value with YAML's BaseLoader: '5', not 5.
    result = snakemake(
        copy_workflow(tmp_path), "-n", "--config", "training={epochs: 5, grad_clip: null}"
    )
    assert "is not of type" not in result.stdout + result.stderr


def test_a_top_level_typo_names_key_file_and_allowed_keys_in_a_few_lines(tmp_path):
    workdir = copy_workflow(tmp_path)
    (workdir / "typo.yaml").write_text("trainig: {epochs: 5}\n")
    result = snakemake(
        workdir, "-n", "--configfile", "config/config.yaml", "typo.yaml", check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert (
        "config key 'trainig': unknown key (set in typo.yaml); allowed top-level keys:"
    ) in output
    assert "training" in output and len(output.splitlines()) < 40


def test_a_nested_typo_from_the_command_line_names_its_parent_keys(tmp_path):
    result = snakemake(copy_workflow(tmp_path), "-n", "--config", "bins={windw: 100}", check=False)
    assert (
        "config key 'bins.windw': unknown key (set in --config); allowed keys of 'bins': "
        "bin_size, reverse_minus_strand, window" in result.stdout + result.stderr
    )
