import os
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.sourcecache import LocalSourceFile
from snakemake.utils import update_config, validate

from chromexpr.config_checks import (
    check_against_schema,
    check_demo_config,
    config_sources,
    typed_command_line_values,
)
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.errors import ConfigError, InputFormatError
from chromexpr.models import MODELS as REGISTERED_MODELS
from chromexpr.models import models_with
from chromexpr.download import folder_url
from chromexpr.samples import (
    FORMATS,
    check_sample_table,
    feature_kind,
    is_url,
    read_sample_sheet,
    template_sample_table,
)


def check_config_schema():
    """--config values read as YAML (nested ones arrive as strings), then the schema: a short
    message naming key, file and allowed keys first, Snakemake's validate for the defaults.
    """
    overrides = typed_command_line_values(workflow.config_settings.config)
    update_config(config, overrides)
    check_against_schema(
        config,
        workflow.source_path("../schemas/config.schema.yaml"),
        config_sources(workflow.configfiles, overrides),
    )
    validate(config, "../schemas/config.schema.yaml")


check_config_schema()

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


def prediction_targets():
    """The samples predict.samples names (with predict on): they need reads, not expression."""
    predict = config["predict"]
    return list(predict["samples"]) if predict["enabled"] else []


def sample_table():
    """(sample, mark, replicate, path, format) of every file counted, and the cells (samples
    with expression, trained on): the sheet's rows for the cells and the prediction targets, or
    the rows the URL template describes. Without `cells`, every sheet sample that predict.samples
    does not name is a cell; a target that is not a cell needs no expression."""
    targets = prediction_targets()
    if config["samples"]:
        sheet = load_sample_sheet(config["samples"])
        in_sheet = list(dict.fromkeys(sheet["sample"]))
        cells = config.get("cells") or [
            name for name in in_sheet if name not in targets
        ]
        for key, names in (("cells", cells), ("predict.samples", targets)):
            unknown = [name for name in names if name not in in_sheet]
            if unknown:
                raise ConfigError(
                    key, f"{unknown} are not samples of the sheet {config['samples']}"
                )
        return sheet[sheet["sample"].isin([*cells, *targets])], cells
    if "cells" not in config:
        raise ConfigError("cells", "required unless samples names a sample sheet")
    cells = config["cells"]
    samples = [*cells, *(name for name in targets if name not in cells)]
    if config["input"] == "bigwig":
        if "signal" not in config["urls"]:
            raise ConfigError("urls.signal", "required when input is bigwig")
        return (
            template_sample_table(samples, MARKS, config["urls"]["signal"], "bigwig"),
            cells,
        )
    if "reads" not in config["urls"]:
        raise ConfigError("urls.reads", "required unless samples names a sample sheet")
    return (
        template_sample_table(samples, MARKS, config["urls"]["reads"], "tagalign"),
        cells,
    )


SAMPLE_TABLE, CELLS = sample_table()
SPLIT_NAMES = ["train", "valid", "test"]
MODELS = config["models"]
CROSSCELL = config["crosscell"]
TASKS = (
    ["classification", "regression"] if config["task"] == "both" else [config["task"]]
)
# Where each task's per-(model, cell) outputs live, under results/.
TASK_FOLDERS = {"classification": "models", "regression": "regression"}
INTERPRET = config["interpret"]
SPLIT = config["split"]
FOLDS = list(range(SPLIT["folds"]))
PREDICT = config["predict"]
# An exported models folder (path or URL) whose per-cell classifiers replace training; or None.
PRETRAINED = config["pretrained"]
# Samples whose expression is predicted from their reads; they are counted like the cells.
PREDICT_SAMPLES = PREDICT["samples"] if PREDICT["enabled"] else []
SAMPLES = CELLS + [sample for sample in PREDICT_SAMPLES if sample not in CELLS]
# Figures of a run on the embedded demo's generated data say so.
SIMULATED = config["demo"]["enabled"]
# What the model classes state (chromexpr.models reads it from their source, without torch).
NEIGHBOUR_MODELS = models_with("reads_neighbours")
# Fitted outside the gradient loop (scikit-learn, LightGBM): one cell per job, never side by side.
FITTED_ONCE_MODELS = models_with("fits_without_gradients")


def local_workflow_root():
    """The folder of this workflow's Snakefile where it is on local disk (run in place or used as
    a module from a local clone); None for a workflow read from a remote (github(...)).
    """
    rules_folder = workflow.current_basedir
    if not isinstance(rules_folder, LocalSourceFile):
        return None
    return Path(rules_folder.get_path_or_uri(secret_free=True)).parents[1]


WORKFLOW_ROOT = local_workflow_root()


def put_package_on_job_path():
    """The scripts import chromexpr from this workflow's own src/, wherever the workflow lives
    (run in its folder or used as a module from another): jobs inherit PYTHONPATH, which puts
    src/ ahead of any installed chromexpr. A workflow read from a remote (github(...)) has no
    src/ on disk; its jobs need chromexpr installed (README, Use as a module)."""
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
# Assemblies whose chrom sizes the workflow ships (from pybedtools' genome registry, README).
BUNDLED_GENOMES = {
    name: f"resources/{name}.chrom.sizes" for name in ("hg19", "hg38", "mm10")
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
    if genome in BUNDLED_GENOMES:
        return bundled_file(BUNDLED_GENOMES[genome])
    return genome


def training_seeds():
    """The seeds every (model, cell, fold) trains with: training.seeds, else the one seed of
    training.seed; the first is the primary run's. None where neither is set (the recipe's seed).
    """
    training = config["training"]
    return training.get("seeds") or [training.get("seed")]


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
    fold="|".join(map(str, FOLDS)),
    seed="|".join(map(str, training_seeds())),


def check_model_names():
    """Every model a config key names is registered (chromexpr.models.MODELS)."""
    named = [
        ("models", MODELS),
        ("model_params", list(config["model_params"])),
        ("crosscell.models", CROSSCELL["models"]),
        ("interpret.models", INTERPRET["models"]),
        ("interpret.gan.classifier", [INTERPRET["gan"]["classifier"]]),
        ("predict.models", PREDICT["models"]),
    ]
    for key, names in named:
        unknown = [name for name in names if name not in REGISTERED_MODELS]
        if unknown:
            raise ValueError(
                f"config key '{key}': unknown model(s) {unknown}; known: {sorted(REGISTERED_MODELS)}"
            )


check_model_names()
# The configured models with attention weights, in config order (names checked above).
ATTENTION_MODELS = models_with("has_attention", MODELS)


def check_config():
    """What the schema cannot express: cross-key rules, named by key."""
    bins = config["bins"]
    if (2 * bins["window"]) % bins["bin_size"]:
        raise ValueError(
            f"config key 'bins.bin_size': {bins['bin_size']} does not divide the window 2 x {bins['window']}"
        )
    if config["counting"]["engine"] == "multicov" and not config["bam"]:
        raise ValueError(
            "config key 'counting.engine': multicov counts BAMs; with bam: false use engine fast"
        )
    check_genome_config()
    check_counting_config()
    if config["input"] == "bigwig" and config["export_processed"]:
        raise ValueError(
            "config key 'export_processed': the published processed layout holds whole read "
            "counts (its loaders read int()); with input bigwig set export_processed: false"
        )
    if config["source"] == "processed" and not config["processed_dir"]:
        raise ValueError(
            "config key 'processed_dir': required when source is processed"
        )
    if config["demo"]["enabled"]:
        chrom_sizes = genome_file()
        check_demo_config(MARKS, read_chrom_sizes(chrom_sizes), chrom_sizes)
    check_expression_config()
    if CROSSCELL["enabled"]:
        check_crosscell_config()
    check_split_config()


def check_split_config():
    """Split and seed keys the schema cannot relate; chromexpr.splits checks them against the
    genes when the split is made."""
    method, folds = SPLIT["method"], SPLIT["folds"]
    if method != "blocks" and folds != 1:
        raise ValueError(
            f"config key 'split.folds': the {method} split has one fold, got {folds}"
        )
    if method == "blocks" and folds < 3:
        raise ValueError(
            f"config key 'split.folds': the blocks split needs at least 3 folds (test, valid, train), got {folds}"
        )
    if method != "published" and config["source"] != "raw":
        raise ValueError(
            f"config key 'split.method': {method} needs gene positions, which source "
            f"{config['source']} does not give; use published"
        )
    if method == "chromosomes":
        for key in ("test_chromosomes", "valid_chromosomes"):
            if not SPLIT[key]:
                raise ValueError(
                    f"config key 'split.{key}': the chromosomes split needs at least one"
                )
    training = config["training"]
    if (
        "seeds" in training
        and training.get("seed", training["seeds"][0]) not in training["seeds"]
    ):
        raise ValueError(
            f"config key 'training.seed': {training['seed']} is not among training.seeds "
            f"{training['seeds']}; seeds decides (seed names the one-seed case)"
        )
    if None in training_seeds() and len(FOLDS) > 1:
        raise ValueError(
            "config key 'training.seed': with more than one fold, set training.seed or "
            "training.seeds (each run's folder is named after its seed)"
        )


def check_expression_config():
    """Where each sample's expression comes from, and that it fits the format."""
    expression = config["expression"]
    if expression["format"] == "matrix":
        if expression["files"] is not None:
            raise ValueError(
                "config key 'expression.files': for per-sample formats (rsem, salmon, "
                "featurecounts); a matrix is expression.path or urls.rpkm"
            )
        if not expression["path"] and "rpkm" not in config["urls"]:
            raise ValueError(
                "config key 'urls.rpkm': required when expression.format is matrix and "
                "expression.path is null"
            )
        return
    if expression["files"] is None:
        raise ValueError(
            f"config key 'expression.files': required for format {expression['format']} "
            "(a template with {sample} or a mapping {sample: path})"
        )
    if isinstance(expression["files"], dict):
        missing = [cell for cell in CELLS if cell not in expression["files"]]
        if missing:
            raise ValueError(f"config key 'expression.files': no file for {missing}")
    if expression["format"] == "featurecounts" and expression["unit"] != "counts":
        raise ValueError(
            "config key 'expression.unit': featureCounts output holds counts; set unit: counts"
        )


def check_crosscell_config():
    if "classification" not in TASKS:
        raise ValueError(
            "config key 'crosscell.enabled': cross-cell experiments transfer classifiers; "
            "set task to classification or both, or disable crosscell"
        )
    unknown = [model for model in CROSSCELL["models"] if model not in MODELS]
    if unknown:
        raise ValueError(
            f"config key 'crosscell.models': {unknown} not among the trained models {MODELS}"
        )
    pooling = set(CROSSCELL["experiments"]) - {"pairwise"}
    neighbour_models = [m for m in CROSSCELL["models"] if m in NEIGHBOUR_MODELS]
    if pooling and neighbour_models:
        raise ValueError(
            f"config key 'crosscell.models': {neighbour_models} read neighbouring genes, "
            f"which pooled cells do not define; use them with experiments [pairwise] only "
            f"(not {sorted(pooling)})"
        )


def check_genome_config():
    genome = config["genome"]
    if config["chrom_sizes"]:
        if genome != "hg19":
            raise ConfigError(
                "chrom_sizes",
                f"deprecated, and conflicts with genome {genome!r}: remove chrom_sizes and "
                "set genome to the chrom sizes path",
            )
        logger.warning(
            "config key 'chrom_sizes' is deprecated: set genome to the chrom sizes path"
        )
    elif genome not in BUNDLED_GENOMES and not os.path.exists(genome):
        raise ConfigError(
            "genome",
            f"{genome!r} is neither a bundled assembly {sorted(BUNDLED_GENOMES)} nor an "
            "existing chrom.sizes or .fai file",
        )


def check_counting_config():
    """Counting settings that must suit the formats of the sample table."""
    counting = config["counting"]
    formats = set(SAMPLE_TABLE["format"])
    if counting["count"] == "fragments":
        if not config["samples"] or formats != {"bam"}:
            raise ConfigError(
                "counting.count",
                f"fragments are counted in paired-end BAMs of a sample sheet; these inputs are {sorted(formats)}",
            )
        if counting["engine"] != "fast":
            raise ConfigError(
                "counting.engine",
                "count fragments needs engine fast (multicov counts reads)",
            )
    if (
        counting["engine"] == "multicov"
        and config["samples"]
        and formats & {"tagalign", "bed"}
    ):
        raise ConfigError(
            "counting.engine",
            f"multicov counts BAMs; the sheet {config['samples']} has tagalign/bed rows: use engine fast",
        )


check_config()


def check_interpret_config():
    """Interpretation keys that must name configured models and cells."""
    if not INTERPRET["enabled"]:
        return
    for key, values, known in (
        ("interpret.models", INTERPRET["models"], MODELS),
        ("interpret.cells", INTERPRET["cells"], CELLS),
    ):
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"config key '{key}': {unknown} not among {known}")
    per_gene = sorted(set(INTERPRET["models"]) & set(NEIGHBOUR_MODELS))
    if per_gene:
        raise ValueError(
            f"config key 'interpret.models': {per_gene} read neighbouring genes; maps and "
            "attention are drawn for models of one gene's marks x bins"
        )
    without_gradients = sorted(
        set(INTERPRET["models"]) & set(models_with("lacks_input_gradients"))
    )
    if "optimisation" in INTERPRET["methods"] and without_gradients:
        raise ValueError(
            f"config key 'interpret.models': {without_gradients} have no gradient with respect "
            "to their input (trees), which the optimisation method follows; leave them out"
        )
    classifier = INTERPRET["gan"]["classifier"]
    if "gan" in INTERPRET["methods"] and (
        classifier not in MODELS or classifier in NEIGHBOUR_MODELS
    ):
        raise ValueError(
            f"config key 'interpret.gan.classifier': {classifier} must be one of the models "
            f"{MODELS} that reads one gene's marks x bins"
        )


check_interpret_config()


def check_predict_config():
    """Prediction keys that must name trained models, configured cells and existing bundles."""
    if not PREDICT["enabled"]:
        return
    if not PREDICT_SAMPLES:
        raise ValueError(
            "config key 'predict.samples': name at least one target sample"
        )
    unknown = sorted(set(PREDICT["models"]) - set(MODELS))
    if unknown:
        raise ValueError(f"config key 'predict.models': {unknown} not among {MODELS}")
    if PREDICT["task"] not in TASKS:
        raise ValueError(
            f"config key 'predict.task': {PREDICT['task']} models are not trained (task: {config['task']})"
        )
    source = PREDICT["source"]
    if isinstance(source, list):
        unknown = sorted(set(source) - set(CELLS))
        if unknown:
            raise ValueError(
                f"config key 'predict.source': {unknown} not among {CELLS}"
            )
    elif source == "ensemble":
        alone = [s for s in PREDICT_SAMPLES if not set(CELLS) - {s}]
        if alone:
            raise ValueError(
                f"config key 'predict.source': the ensemble for {alone} leaves out their own "
                "model, and no other cell's is left"
            )
    needs_crosscell = source == "pooled" or PREDICT["normalisation"] != "none"
    if needs_crosscell:
        check_crosscell_source()


def check_crosscell_source():
    """The pooled or normalised bundles come from the cross-cell rules: they must be configured."""
    key = "predict.source" if PREDICT["source"] == "pooled" else "predict.normalisation"
    wanted = []
    if not CROSSCELL["enabled"]:
        wanted.append("crosscell.enabled: true")
    if PREDICT["source"] == "pooled" and "pooled" not in CROSSCELL["experiments"]:
        wanted.append("pooled in crosscell.experiments")
    if PREDICT["normalisation"] not in CROSSCELL["normalisations"]:
        wanted.append(f"{PREDICT['normalisation']} in crosscell.normalisations")
    missing = sorted(set(PREDICT["models"]) - set(CROSSCELL["models"]))
    if missing:
        wanted.append(f"{missing} in crosscell.models")
    if PREDICT["task"] != "classification":
        wanted.append("predict.task: classification")
    if wanted:
        raise ValueError(
            f"config key '{key}': the cross-cell bundles it names need {'; '.join(wanted)}"
        )


check_predict_config()


def check_pretrained_config():
    """With pretrained models nothing is trained: only what per-cell classifiers of raw counts
    serve (pairwise transfer, predictions) can run."""
    if not PRETRAINED:
        return
    wanted = []
    if config["task"] != "classification":
        wanted.append("task: classification")
    if CROSSCELL["enabled"] and (
        CROSSCELL["experiments"] != ["pairwise"]
        or CROSSCELL["normalisations"] != ["none"]
    ):
        wanted.append("crosscell experiments [pairwise] and normalisations [none]")
    if INTERPRET["enabled"]:
        wanted.append("interpret.enabled: false")
    if PREDICT["enabled"] and (
        PREDICT["source"] == "pooled" or PREDICT["normalisation"] != "none"
    ):
        wanted.append("predict.source of cells or ensemble, predict.normalisation none")
    if wanted:
        raise ValueError(
            f"config key 'pretrained': the exported per-cell classifiers replace training, "
            f"so the config needs {'; '.join(wanted)}"
        )


check_pretrained_config()


def reads_url(wildcards):
    return config["urls"]["reads"].format(cell=wildcards.cell, mark=wildcards.mark)


def replicate_rows(wildcards):
    """The sample table's rows of one sample and mark (its replicates)."""
    table = SAMPLE_TABLE
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
    table = SAMPLE_TABLE
    row = table[
        (table["sample"] == wildcards.cell)
        & (table["mark"] == wildcards.mark)
        & (table["replicate"] == wildcards.replicate)
        & (table["format"] == wildcards.file_format)
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
    if config["demo"]["enabled"]:
        return f"resources/demo-mirror/{name}"
    return []


def demo_mirror_reads(wildcards):
    return demo_mirror_file(f"{wildcards.cell}-{wildcards.mark}.tagAlign.gz")


def demo_mirror_files():
    return [
        f"resources/demo-mirror/{cell}-{mark}.tagAlign.gz"
        for cell in SAMPLES
        for mark in MARKS
    ] + [
        "resources/demo-mirror/57epigenomes.RPKM.pc.gz",
        "resources/demo-mirror/Ensembl_v65.Gencode_v10.ENSG.gene_info",
    ]


def output_folder(wildcards, output):
    """The folder of a rule's first output, for scripts that write several files into it."""
    return str(Path(output[0]).parent)


def processed_root(wildcards, output):
    """results/processed of results/processed/{cell}/classification/{split}.csv."""
    return str(Path(output[0]).parents[2])


def count_source_kind():
    """What counting reads without a sheet: signal bigWigs, the tagAlign itself, or the
    sorted BAM built from it."""
    if config["input"] == "bigwig":
        return "bigwig"
    return "bam" if config["bam"] else "tagalign"


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
    kind = count_source_kind()
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
    return [count_source_kind()]


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


def processed_exports():
    if not config["export_processed"]:
        return []
    return expand(
        "results/processed/{cell}/classification/{split}.csv",
        cell=CELLS,
        split=SPLIT_NAMES,
    )


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
    run; 0 for the primary run), bin orientation."""
    return {
        "split": config["split"],
        "fold": int(wildcards.get("fold", 0)),
        "reverse_minus_strand": config["bins"]["reverse_minus_strand"],
    }


def seed_training(wildcards):
    """The training config of a run: with training.seeds set, its seed in place of training.seed
    (the primary run has the first)."""
    training = config["training"]
    if "seeds" not in training:
        return training
    return {**training, "seed": int(wildcards.get("seed", training["seeds"][0]))}


def split_tables():
    """The split table of every fold: fold 0's (the one the datasets carry) at
    results/splits/split.tsv, each other fold's at results/splits/fold-{fold}.tsv."""
    return ["results/splits/split.tsv"] + [
        f"results/splits/fold-{fold}.tsv" for fold in FOLDS[1:]
    ]


def fold_split_table(wildcards):
    return split_tables()[int(wildcards.fold)]


def extra_runs():
    """(fold, seed) of every run besides the primary one (fold 0, first seed)."""
    return [
        (fold, seed)
        for fold in FOLDS
        for seed in training_seeds()
        if (fold, seed) != (0, training_seeds()[0])
    ]


def run_metrics(task="classification", name="metrics.json"):
    """metrics.json (or ``name``) of every (model, cell, fold, seed): the primary runs' first,
    then the others' under fold-{fold}/seed-{seed}/."""
    folder = TASK_FOLDERS[task]
    return trained_metrics(task, name) + [
        f"results/{folder}/{model}/{cell}/fold-{fold}/seed-{seed}/{name}"
        for model in MODELS
        for cell in CELLS
        for fold, seed in extra_runs()
    ]


def model_params(wildcards):
    """Constructor hyperparameters of a model (published values unless the config sets them)."""
    return config["model_params"].get(wildcards.model, {})


def training_gpus(wildcards):
    """GPUs a training job requests (resources.gpus_per_training_job; null: one unless
    training.device is cpu). Config only: the machine that parses the workflow may not be the
    one that trains, so no device is looked for here."""
    requested = config["resources"]["gpus_per_training_job"]
    if requested is not None:
        return requested
    return int(config["training"].get("device", "auto") != "cpu")


def per_attempt(first_attempt):
    """A resource (mem_mb, runtime in minutes) that grows with each retry: the measured figure
    first, that much more on each attempt after."""

    def scaled(wildcards, attempt):
        return first_attempt * attempt

    return scaled


def bam_file(path):
    """A BAM (or its index) is temporary unless keep_bams: deleted once counted."""
    return path if config["keep_bams"] else temp(path)


def side_by_side():
    """Whether each model trains on all cells in one job (training.side_by_side). auto decides
    from the config alone: on for the published recipe on device cuda."""
    training = config["training"]
    choice = training.get("side_by_side", "auto")
    if choice != "auto":
        return choice
    return training["recipe"] == "published" and training.get("device") == "cuda"


def side_by_side_groups():
    """The cells in groups of training.side_by_side_group_size (null: one group), config order."""
    size = config["training"].get("side_by_side_group_size") or len(CELLS)
    return [CELLS[start : start + size] for start in range(0, len(CELLS), size)]


# Models trained side by side when that is on: all but those that read neighbouring genes (a
# pretrained, frozen autoencoder the side-by-side trainer does not stack).
SIDE_BY_SIDE_MODELS = (
    [m for m in MODELS if m not in NEIGHBOUR_MODELS + FITTED_ONCE_MODELS]
    if side_by_side()
    else []
)


def side_by_side_jobs():
    """(group number, cells) of each side-by-side job."""
    return list(enumerate(side_by_side_groups())) if SIDE_BY_SIDE_MODELS else []


def side_by_side_outputs(cells):
    """Each cell's files of one model, by kind."""
    names = ["model.pt", "metrics.json", "history.tsv", "predictions.tsv"]
    return {
        name.split(".")[0]: expand(
            "results/{{task_folder}}/{{model}}/{cell}/{name}", cell=cells, name=name
        )
        for name in names
    }


def trained_metrics(task="classification", name="metrics.json"):
    return expand(
        "results/{folder}/{model}/{cell}/{name}",
        folder=TASK_FOLDERS[task],
        model=MODELS,
        cell=CELLS,
        name=name,
    )


def run_predictions():
    """The classifiers' per-gene test scores of every run (fold, seed), beside their
    metrics.json (run_metrics): the AUC intervals and the claims' tests read them."""
    return run_metrics("classification", "predictions.tsv")


def claims_crosscell():
    """The cross-cell table where pairwise transfer runs: the claims table tests transfer."""
    if CROSSCELL["enabled"] and "pairwise" in CROSSCELL["experiments"]:
        return ["results/tables/crosscell.tsv"]
    return []


def task_metrics(wildcards):
    return trained_metrics(wildcards.task)


def task_table(wildcards):
    return {
        "classification": "results/tables/auc.tsv",
        "regression": "results/tables/regression.tsv",
    }[wildcards.task]


def task_score(wildcards):
    return {"classification": "test_auc", "regression": "test_pearson"}[wildcards.task]


def per_cell_bundle(model, cell):
    """A per-cell classifier of raw counts: trained here, or fetched from pretrained."""
    if PRETRAINED:
        return f"resources/pretrained/{model}-{cell}.pt"
    return f"results/models/{model}/{cell}/model.pt"


def per_cell_checkpoints(wildcards):
    """Per-cell models for transfer: the plain ones, or ones trained on normalised inputs."""
    if wildcards.normalisation == "none":
        return [per_cell_bundle(wildcards.model, cell) for cell in CELLS]
    else:
        pattern = "results/crosscell/models/{normalisation}/{model}/{cell}/model.pt"
    return expand(
        pattern,
        model=wildcards.model,
        normalisation=wildcards.normalisation,
        cell=CELLS,
    )


def crosscell_results():
    folders = expand(
        "results/crosscell/{model}/{normalisation}",
        model=CROSSCELL["models"],
        normalisation=CROSSCELL["normalisations"],
    )
    experiments = CROSSCELL["experiments"]
    results = []
    for folder in folders:
        if "pairwise" in experiments:
            results.append(f"{folder}/pairwise.tsv")
        if "pooled" in experiments:
            results.append(f"{folder}/pooled/transfer.tsv")
        if "leave_one_out" in experiments:
            results += [
                f"{folder}/leave_one_out/{cell}/transfer.json" for cell in CELLS
            ]
    return results


def crosscell_targets():
    if not CROSSCELL["enabled"]:
        return []
    targets = ["results/tables/crosscell.tsv"]
    if "pairwise" in CROSSCELL["experiments"]:
        targets += expand(
            "results/figures/crosscell/{model}-{normalisation}.png",
            model=CROSSCELL["models"],
            normalisation=CROSSCELL["normalisations"],
        )
    return targets


def task_targets():
    targets = expand("results/figures/models-{task}.png", task=TASKS)
    if "classification" in TASKS:
        targets += [
            "results/tables/auc.tsv",
            "results/figures/auc.png",
            "results/tables/claims.tsv",
        ]
    if "regression" in TASKS:
        targets += ["results/tables/regression.tsv"]
    return targets


def all_targets():
    if PRETRAINED:
        return (
            expand("results/datasets/{cell}.npz", cell=CELLS)
            + crosscell_targets()
            + predict_targets()
        )
    return (
        expand("results/datasets/{cell}.npz", cell=CELLS)
        + processed_exports()
        + task_targets()
        + crosscell_targets()
        + report_targets()
        + interpret_targets()
        + predict_targets()
    )


def interpret_cells():
    return INTERPRET["cells"] or CELLS


def read_filter_reports():
    """Contig filter reports exist only where BAMs are built from downloaded reads."""
    if config["source"] != "raw" or config["samples"] or count_source_kind() != "bam":
        return []
    return expand("results/qc/reads/{cell}-{mark}.json", cell=CELLS, mark=MARKS)


def read_filter_report_keys():
    """(cell, mark) of each report, in the order of read_filter_reports()."""
    if not read_filter_reports():
        return []
    return [[cell, mark] for cell in CELLS for mark in MARKS]


def gan_classifier(wildcards):
    folder = f"results/models/{INTERPRET['gan']['classifier']}/{wildcards.cell}"
    return {"model": f"{folder}/model.pt", "metrics": f"{folder}/metrics.json"}


def report_targets():
    """Data QC, training curves and HTML tables: cheap, always built for the report. The
    curves and the AUC page read the classifiers, so only where that task runs."""
    targets = [
        "results/tables/qc_reads.tsv",
        "results/tables/qc_labels.tsv",
        "results/tables/qc_expression.tsv",
        "results/figures/qc.png",
        "results/report/qc_reads.html",
        "results/report/qc_labels.html",
    ]
    if "classification" in TASKS:
        targets += [
            "results/figures/training_curves.png",
            "results/report/auc_wide.html",
            "results/report/auc_pooled.html",
            "results/report/claims.html",
        ]
    return targets


def interpret_targets():
    if not INTERPRET["enabled"]:
        return []
    cells = interpret_cells()
    methods = INTERPRET["methods"]
    targets = []
    if "optimisation" in methods:
        targets += expand(
            "results/figures/interpret/optimisation/{model}-{cell}.png",
            model=INTERPRET["models"],
            cell=cells,
        )
        # Only the demo knows the truth.
        if config["demo"]["enabled"]:
            targets += expand(
                "results/interpret/optimisation/{model}/{cell}-truth.tsv",
                model=INTERPRET["models"],
                cell=cells,
            )
    if "attributions" in methods:
        targets += expand(
            "results/figures/interpret/attributions/{model}-{cell}.png",
            model=INTERPRET["models"],
            cell=cells,
        )
        if config["demo"]["enabled"]:
            targets += expand(
                "results/interpret/attributions/{model}/{cell}/truth.tsv",
                model=INTERPRET["models"],
                cell=cells,
            )
    if "gan" in methods:
        targets += expand(
            "results/figures/interpret/gan/{cell}-{figure}.png",
            cell=cells,
            figure=["profiles", "samples"],
        )
    if "attention" in methods:
        targets += expand(
            "results/figures/interpret/attention/{model}-{cell}.png",
            model=ATTENTION_MODELS,
            cell=cells,
        )
    if "profiles" in methods:
        targets += expand("results/figures/interpret/profiles/{cell}.png", cell=cells)
    # The processed layout has no gene positions to draw tracks at.
    if "tracks" in methods and config["source"] == "raw":
        targets += expand("results/tracks/{cell}/{mark}.bw", cell=cells, mark=MARKS)
    return targets


def prediction_bundles(wildcards):
    """The bundles that predict a target sample (predict.source), for one model."""
    model, normalisation = wildcards.model, PREDICT["normalisation"]
    source = PREDICT["source"]
    if source == "pooled":
        return [f"results/crosscell/{model}/{normalisation}/pooled/model.pt"]
    # The ensemble never holds the target's own model: its expression stays unseen.
    cells = (
        source
        if isinstance(source, list)
        else [c for c in CELLS if c != wildcards.sample]
    )
    if normalisation == "none" and PREDICT["task"] == "classification":
        return [per_cell_bundle(model, cell) for cell in cells]
    if normalisation == "none":
        return [f"results/regression/{model}/{cell}/model.pt" for cell in cells]
    return [
        f"results/crosscell/models/{normalisation}/{model}/{cell}/model.pt"
        for cell in cells
    ]


def predict_targets():
    """Each target's predictions and tracks; for a target that is also a cell, the scores of
    the predictions against its real labels."""
    targets = expand(
        "results/predictions/{model}/{sample}.{kind}",
        model=PREDICT["models"],
        sample=PREDICT_SAMPLES,
        kind=["tsv", "bed", "bw"],
    )
    return targets + expand(
        "results/predictions/{model}/{sample}-scores.tsv",
        model=PREDICT["models"],
        sample=[sample for sample in PREDICT_SAMPLES if sample in CELLS],
    )


def exported_names():
    """Names of the exported per-cell classifiers, {model}-{cell}, as pretrained expects them."""
    return [f"{model}-{cell}" for model in MODELS for cell in CELLS]


def exported_bundles():
    return [
        f"results/models/{model}/{cell}/model.pt" for model in MODELS for cell in CELLS
    ]


def pretrained_manifest_url(wildcards):
    return folder_url(PRETRAINED, "manifest.json")
