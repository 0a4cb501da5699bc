import os
import re
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.sourcecache import LocalSourceFile
from snakemake.utils import update_config, validate


def local_workflow_root():
    """The folder of this workflow's Snakefile where it is on local disk (run in place or used as
    a module from a local clone); None for a workflow read from a remote (github(...)).
    """
    rules_folder = workflow.current_basedir
    if not isinstance(rules_folder, LocalSourceFile):
        return None
    return Path(rules_folder.get_path_or_uri(secret_free=True)).parents[1]


WORKFLOW_ROOT = local_workflow_root()
# The parse-time checks import the chromexpr of this workflow's src/, as its jobs do
# (put_package_on_job_path), not one installed in the environment.
if WORKFLOW_ROOT is not None:
    sys.path.insert(0, str(WORKFLOW_ROOT / "src"))

from chromexpr.config import check_config, config_warnings, derived, runs, sample_table
from chromexpr.config import targets, without_bundled_cells
from chromexpr.config.rules.inputs import other_kind_targets
from chromexpr.config.schema import (
    check_against_schema,
    config_sources,
    located,
    typed_command_line_values,
)
from chromexpr.download import folder_url
from chromexpr.errors import InputFormatError
from chromexpr.models import models_with
from chromexpr.samples import FORMATS, check_sample_table, is_url, read_sample_sheet
from chromexpr.samples import check_paths_beside_the_sheet

# The config rules, the sample table and the target lists live in chromexpr.config; this file
# calls them once and holds the input functions the rules use.


def check_config_schema():
    """--config values read as YAML (nested ones arrive as strings), then the schema: a short
    message naming key, file and allowed keys first, Snakemake's validate for the defaults.
    Returns each config source's values (chromexpr.config.schema.config_sources)."""
    overrides = typed_command_line_values(workflow.config_settings.config)
    update_config(config, overrides)
    sources = config_sources(workflow.configfiles, overrides)
    check_against_schema(
        config, workflow.source_path("../schemas/config.schema.yaml"), sources
    )
    validate(config, "../schemas/config.schema.yaml")
    return sources


CONFIG_SOURCES = check_config_schema()
MARKS = config["marks"]


def load_sample_sheet(path):
    """The sample sheet, each row checked against the schema, then as a whole."""
    sheet = read_sample_sheet(path)
    try:
        validate(sheet, "../schemas/samples.schema.yaml")
    except WorkflowError as error:
        row = re.search(r"row (\d+)", str(error))
        line = sheet.index[int(row.group(1))] if row else None
        # Snakemake raises its WorkflowError while handling jsonschema's ValidationError.
        cause = getattr(error.__context__, "message", str(error))
        raise InputFormatError(path, f"sample sheet row: {cause}", line) from None
    check_sample_table(sheet, MARKS, path)
    return sheet


def configured_sample_table():
    """The sample table of the config's sample sheet, or of its URL templates."""
    sheet = load_sample_sheet(config["samples"]) if config["samples"] else None
    bundled = WORKFLOW_ROOT and WORKFLOW_ROOT / "config/config.yaml"
    with located(CONFIG_SOURCES):
        table = sample_table(
            without_bundled_cells(config, CONFIG_SOURCES, bundled), sheet
        )
    if sheet is not None:
        check_paths_beside_the_sheet(table.table, config["samples"])
    return table


SAMPLE_TABLE = configured_sample_table()
config["cells"] = SAMPLE_TABLE.cells  # as the report lists them


def put_package_on_job_path():
    """The scripts import chromexpr from this workflow's own src/, wherever the workflow lives
    (run in its folder or used as a module from another): jobs inherit PYTHONPATH, which puts
    src/ ahead of any installed chromexpr. A workflow read from a remote (github(...)) has no
    src/ on disk; its jobs need chromexpr installed (docs/usage.md)."""
    if WORKFLOW_ROOT is None:
        return
    source = str(WORKFLOW_ROOT / "src")
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if source not in paths:
        os.environ.update(PYTHONPATH=os.pathsep.join([source, *filter(None, paths)]))


put_package_on_job_path()

# The files the workflow ships (relative to its root), used where the config names none (null).
BUNDLED_FILES = {
    "published_genes": "resources/deepchrome-genes.tsv",
    "published_auc": "resources/published-deepchrome-auc.tsv",
}


def bundled_file(relative):
    """A file the workflow ships: by its path relative to the working directory where the
    workflow is on disk (the same path in every run, so BAM headers, which record the chrom
    sizes' path, stay byte-identical), else through Snakemake's source cache."""
    if WORKFLOW_ROOT is not None:
        return os.path.relpath(WORKFLOW_ROOT / relative)
    return workflow.source_path(f"../../{relative}")


def configured_file(key):
    """The file a config key names, or the workflow's bundled copy where it names none."""
    return config[key] or bundled_file(BUNDLED_FILES[key])


def genome_file():
    """The chrom sizes (or .fai) of config key genome; the deprecated chrom_sizes wins where set."""
    if config["chrom_sizes"]:
        return config["chrom_sizes"]
    genome = config["genome"]
    if genome in derived.BUNDLED_GENOMES:
        # Shipped from pybedtools' genome registry (README).
        return bundled_file(f"resources/{genome}.chrom.sizes")
    return genome


for note in config_warnings(config, SAMPLE_TABLE):
    logger.warning(note)
check_config(config, SAMPLE_TABLE, CONFIG_SOURCES, genome_file())

CELLS = SAMPLE_TABLE.cells
# Samples whose expression is predicted from their reads; they are counted like the cells.
PREDICT_SAMPLES = SAMPLE_TABLE.targets
SAMPLES = SAMPLE_TABLE.samples
SPLIT_NAMES = derived.SPLIT_NAMES
TASK_FOLDERS = derived.TASK_FOLDERS
MODELS = config["models"]
CROSSCELL = config["crosscell"]
INTERPRET = config["interpret"]
PREDICT = config["predict"]
# An exported models folder (path or URL) whose per-cell classifiers replace training; or None.
PRETRAINED = config["pretrained"]
# Figures of a run on the embedded demo's generated data say so.
SIMULATED = config["demo"]["enabled"]
# The configured models with attention weights, in config order.
ATTENTION_MODELS = models_with("has_attention", MODELS)
SIDE_BY_SIDE_MODELS = derived.side_by_side_models(config)


wildcard_constraints:
    cell="|".join(map(re.escape, SAMPLES)),
    sample="|".join(map(re.escape, PREDICT_SAMPLES)) or "(?!)",
    mark="|".join(MARKS),
    replicate="[A-Za-z0-9_.-]+",
    file_format="|".join(FORMATS),
    split="|".join(SPLIT_NAMES),
    model="|".join(MODELS),
    task_folder="|".join(TASK_FOLDERS.values()),
    task="|".join(TASK_FOLDERS),
    normalisation="|".join(CROSSCELL["normalisations"]),
    fold="|".join(map(str, derived.folds(config))),
    seed="|".join(map(str, derived.training_seeds(config))),


def reads_url(wildcards):
    return config["urls"]["reads"].format(cell=wildcards.cell, mark=wildcards.mark)


def replicate_rows(wildcards):
    """The sample table's rows of one sample and mark (its replicates)."""
    table = SAMPLE_TABLE.table
    return table[
        (table["sample"] == wildcards.cell) & (table["mark"] == wildcards.mark)
    ]


def sheet_file(row):
    """Where the workflow reads a sheet row's file: downloaded under resources/samples for a
    URL, in place for a local path."""
    if is_url(row["path"]):
        return f"resources/samples/{row['sample']}/{row['mark']}/{row['replicate']}.{row['format']}"
    return row["path"]


def sample_url(wildcards):
    rows = replicate_rows(wildcards)
    row = rows[
        (rows["replicate"] == wildcards.replicate)
        & (rows["format"] == wildcards.file_format)
    ]
    return row["path"].iloc[0]


def expression_location(cell):
    """Where a sample's own expression file is (per-sample formats): path or URL."""
    files = config["expression"]["files"]
    return files.format(sample=cell) if isinstance(files, str) else files[cell]


def expression_url(wildcards):
    return expression_location(wildcards.cell)


def expression_matrix():
    """The expression matrix: expression.path, or the file downloaded from urls.rpkm."""
    return config["expression"]["path"] or "resources/remc/57epigenomes.RPKM.pc.gz"


def expression_source(wildcards):
    """The file a sample's expression is read from: the matrix, or its own file (downloaded
    first where it is a URL)."""
    if config["expression"]["format"] == "matrix":
        return expression_matrix()
    location = expression_location(wildcards.cell)
    return (
        f"resources/expression/{wildcards.cell}.txt" if is_url(location) else location
    )


def gene_table_expression():
    """What the gene table takes expressed genes from: the matrix's gene ids (so adding a
    sample leaves the gene table alone), or every sample's expression table."""
    if config["expression"]["format"] == "matrix":
        return [expression_matrix()]
    return expand("results/expression/{cell}.tsv", cell=CELLS)


def expression_gene_column():
    """The matrix's gene id column; the samples' expression tables start with gene_id."""
    if config["expression"]["format"] == "matrix":
        return config["expression"]["gene_column"]
    return "gene_id"


def demo_mirror_file(name):
    """With the demo enabled, a download waits for the mirror file it fetches from."""
    if SIMULATED:
        return f"resources/demo-mirror/{name}"
    return []


def demo_mirror_reads(wildcards):
    return demo_mirror_file(f"{wildcards.cell}-{wildcards.mark}.tagAlign.gz")


def output_folder(wildcards, output):
    """The folder of a rule's first output, for scripts that write several files into it."""
    return str(Path(output[0]).parent)


def processed_root(wildcards, output):
    """results/processed of results/processed/{cell}/classification/{split}.csv."""
    return str(Path(output[0]).parents[2])


def count_sources(wildcards):
    """The files of one sample and mark (one per replicate), and BAM indexes the workflow
    builds."""
    if config["samples"]:
        return {
            "sources": [
                sheet_file(row) for _, row in replicate_rows(wildcards).iterrows()
            ]
        }
    name = f"{wildcards.cell}-{wildcards.mark}"
    kind = derived.count_source_kind(config)
    if kind == "bigwig":
        return {"sources": [f"resources/remc/signal/{name}.bigwig"]}
    if kind == "tagalign":
        return {"sources": [f"resources/remc/reads/{name}.tagAlign.gz"]}
    return {
        "sources": [f"results/bam/{name}.bam"],
        "index": f"results/bam/{name}.bam.bai",
    }


def count_formats(wildcards):
    """The format of each of count_sources' files."""
    if config["samples"]:
        return list(replicate_rows(wildcards)["format"])
    return [derived.count_source_kind(config)]


def multicov_bins(wildcards):
    """The bins BED, which only engine multicov reads (the fast engine and bigWig means lay
    the bins out from the gene table in the job)."""
    if config["counting"]["engine"] == "multicov":
        return {"bins": "results/bins/tss_bins.bed"}
    return {}


def signal_url(wildcards):
    return config["urls"]["signal"].format(cell=wildcards.cell, mark=wildcards.mark)


def mark_counts(wildcards):
    return [f"results/counts/{wildcards.cell}-{mark}.npy" for mark in MARKS]


def sample_mark_counts(wildcards):
    return [f"results/counts/{wildcards.sample}-{mark}.npy" for mark in MARKS]


def models_pattern(models):
    """A wildcard pattern matching exactly ``models``; one that matches nothing when empty."""
    return "|".join(models) if models else "(?!)"


def models_regex(together):
    """The configured models trained side by side (together) or one cell per job, as a
    wildcard pattern."""
    return models_pattern([m for m in MODELS if (m in SIDE_BY_SIDE_MODELS) == together])


def task_of_folder(wildcards):
    return {folder: task for task, folder in TASK_FOLDERS.items()}[
        wildcards.task_folder
    ]


def training_provenance(wildcards):
    """What a model bundle records beside the dataset: how genes were split (and the fold of a
    run; 0 for the primary run), bin orientation and window convention."""
    return {
        "split": config["split"],
        "fold": int(wildcards.get("fold", 0)),
        "reverse_minus_strand": config["bins"]["reverse_minus_strand"],
        "window_convention": derived.bin_settings(config)["window_convention"],
    }


def seed_training(wildcards):
    """The training config of a run: with training.seeds set, its seed in place of training.seed
    (the primary run has the first)."""
    training = config["training"]
    if "seeds" not in training:
        return training
    return {**training, "seed": int(wildcards.get("seed", training["seeds"][0]))}


def fold_split_table(wildcards):
    return runs.split_tables(config)[int(wildcards.fold)]


def run_metrics(task="classification", name="metrics.json"):
    return runs.run_metrics(config, CELLS, task, name)


# Constructor hyperparameters of a model (published values unless the config sets them).
model_params = lookup(dpath="model_params/{model}", within=config, default={})


def training_gpus(wildcards):
    return derived.training_gpus(config)


def per_attempt(first_attempt):
    """A resource (mem_mb, runtime in minutes) that grows with each retry: the measured figure
    first, that much more on each attempt after."""

    def scaled(wildcards, attempt):
        return first_attempt * attempt

    return scaled


def bam_file(path):
    """A BAM (or its index) is temporary unless keep_bams: deleted once counted."""
    return path if config["keep_bams"] else temp(path)


def side_by_side_jobs():
    """(group number, cells) of each side-by-side job."""
    groups = derived.side_by_side_groups(config, CELLS)
    return list(enumerate(groups)) if SIDE_BY_SIDE_MODELS else []


def side_by_side_outputs(cells):
    """Each cell's files of one model, by kind."""
    names = ["model.pt", "metrics.json", "history.tsv", "predictions.tsv"]
    return {
        name.split(".")[0]: expand(
            "results/{{task_folder}}/{{model}}/{cell}/{name}", cell=cells, name=name
        )
        for name in names
    }


# Each task's table of test scores, and the score it is ranked by.
task_table = lookup(
    dpath="{task}",
    within={
        "classification": "results/tables/auc.tsv",
        "regression": "results/tables/regression.tsv",
    },
)
task_score = lookup(
    dpath="{task}",
    within={"classification": "test_auc", "regression": "test_pearson"},
)


def per_cell_checkpoints(wildcards):
    return runs.crosscell_bundles(
        config, CELLS, wildcards.model, wildcards.normalisation
    )


def read_filter_report_keys():
    """(cell, mark) of each report, in the order of targets.read_filter_reports."""
    if not targets.read_filter_reports(config, CELLS):
        return []
    return [[cell, mark] for cell in CELLS for mark in MARKS]


def gan_classifier(wildcards):
    folder = f"results/models/{INTERPRET['gan']['classifier']}/{wildcards.cell}"
    return {"model": f"{folder}/model.pt", "metrics": f"{folder}/metrics.json"}


def other_input_kind(wildcards):
    """Whether a target's files are of another kind than the cells' (warned at parse time):
    its prediction job scores it with a warning instead of refusing it."""
    return wildcards.sample in other_kind_targets(SAMPLE_TABLE)


def prediction_bundles(wildcards):
    """The bundles that predict a target sample (predict.source), for one model."""
    return runs.prediction_bundles(config, CELLS, wildcards.model, wildcards.sample)


def pretrained_manifest_url(wildcards):
    return folder_url(PRETRAINED, "manifest.json")
