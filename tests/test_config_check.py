"""chromexpr.config.check_config, the one entry point of the cross-key rules: the shipped
configs pass, and each error names its key, the file that set it and what is allowed."""

import pytest
import yaml

from chromexpr.config import check_config, sample_table
from chromexpr.config.schema import check_against_schema, located, where_set
from chromexpr.errors import ConfigError, InputFormatError
from chromexpr.samples import check_sample_table, read_sample_sheet

from .config_helpers import DEMO_CHROM_SIZES, REPO, SCHEMA, configured, overlay_sources, samples_of


def checked(overlay: str) -> None:
    """check_config on the demo config with ``overlay`` layered on as bad.yaml."""
    config = configured(overlay)
    check_config(config, samples_of(config), overlay_sources(overlay), DEMO_CHROM_SIZES)


@pytest.mark.parametrize(
    "overlays",
    [
        [],
        ["config/zoo.yaml"],
        ["config/predict-demo.yaml"],
    ],
)
def test_the_demo_configs_pass(overlays):
    config = configured(*((REPO / path).read_text() for path in overlays))
    check_config(config, samples_of(config), {}, DEMO_CHROM_SIZES)


def test_the_remc_config_passes():
    config = configured(base="config/remc.yaml")
    check_config(config, samples_of(config), {}, str(REPO / "resources/hg19.chrom.sizes"))


def test_the_encode_config_and_its_sheet_pass():
    config = configured(base="config/encode-hg38.yaml")
    sheet = read_sample_sheet(REPO / config["samples"])
    check_sample_table(sheet, config["marks"], config["samples"])
    check_config(config, sample_table(config, sheet), {}, str(REPO / "resources/hg38.chrom.sizes"))


@pytest.mark.parametrize(
    ("overlay", "named", "origin"),
    [
        ("bins: {window: 5000, bin_size: 300}", "config key 'bins.bin_size'", "bad.yaml"),
        ("task: regression", "config key 'crosscell.enabled'", "config/config.yaml"),
        ("crosscell: {enabled: true, models: [cnn]}", "'crosscell.models'", "bad.yaml"),
        ("split: {method: blocks, folds: 2}", "config key 'split.folds'", "bad.yaml"),
        ("training: {seeds: [2, 3]}", "config key 'training.seed'", "config/config.yaml"),
        ("counting: {count: fragments}", "config key 'counting.count'", "bad.yaml"),
        ("genome: hg99", "config key 'genome': 'hg99' is neither a bundled", "bad.yaml"),
        ("models: [deepchrom]", "config key 'models': unknown model 'deepchrom'", "bad.yaml"),
        ("pretrained: exported", "config key 'pretrained'", "bad.yaml"),
    ],
)
def test_every_rule_runs_and_names_the_file_that_set_its_key(overlay, named, origin):
    with pytest.raises(ConfigError) as error:
        checked(overlay)
    assert named in str(error.value)
    assert str(error.value).endswith(f"(set in {origin})")


def test_a_key_no_file_sets_is_named_as_such():
    # bad.yaml sets the format; expression.files is left at the schema's default (null).
    with pytest.raises(ConfigError, match=r"'expression.files': .*\(not set in any config file\)$"):
        checked("expression: {format: rsem}")


def test_the_last_source_that_sets_a_key_is_named():
    sources = {"config/config.yaml": {"bins": {"window": 1}}, "--config": {"bins": {"window": 2}}}
    assert where_set(["bins", "window"], sources) == "--config"
    assert where_set(["bins", "bin_size"], sources) is None


def test_located_leaves_other_errors_and_located_config_errors_alone():
    with pytest.raises(InputFormatError), located({}):
        raise InputFormatError("s.tsv", "broken")
    with pytest.raises(ConfigError, match=r"^config key 'x': y \(set in a.yaml\)$"), located({}):
        raise ConfigError("x", "y", "set in a.yaml")


@pytest.mark.parametrize(
    ("overlay", "named"),
    [
        (
            "trainng: {epochs: 3}",
            "config key 'trainng': unknown key (set in bad.yaml); allowed top-level keys:",
        ),
        ("comparisons: {equivalence_margin: 0}", "config key 'comparisons.equivalence_margin'"),
        (
            "split: {valid: 0}",
            "config key 'split.valid': 0 is less than or equal to the minimum of 0 (set in bad.yaml)",
        ),
        (
            "bins: {windw: 100}",
            "config key 'bins.windw': unknown key (set in bad.yaml); allowed keys of 'bins': bin_size, reverse_minus_strand, window",
        ),
        (
            "expression: {format: rsem, files: 'quant/E003.genes.results'}",
            "config key 'expression.files': 'quant/E003.genes.results' does not match '\\\\{sample\\\\}' (set in bad.yaml)",
        ),
    ],
)
def test_a_schema_violation_names_key_file_and_what_is_allowed(overlay, named):
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    for key, value in yaml.safe_load(overlay).items():
        config[key] = {**config.get(key, {}), **value}
    with pytest.raises(ConfigError) as error:
        check_against_schema(config, SCHEMA, overlay_sources(overlay))
    assert named in str(error.value)
