from pathlib import Path

from snakemake.utils import validate

validate(config, "../schemas/config.schema.yaml")

CELLS = config["cells"]
MARKS = config["marks"]
SPLIT_NAMES = ["train", "valid", "test"]
MODELS = config["models"]
CROSSCELL = config["crosscell"]
TASKS = (
    ["classification", "regression"] if config["task"] == "both" else [config["task"]]
)
# Where each task's per-(model, cell) outputs live, under results/.
TASK_FOLDERS = {"classification": "models", "regression": "regression"}
# Models that return attention weights (chromexpr.models: an attention() method).
ATTENTION_MODELS = ["attentivechrome"]


wildcard_constraints:
    cell="|".join(CELLS),
    mark="|".join(MARKS),
    split="|".join(SPLIT_NAMES),
    model="|".join(MODELS),
    task_folder="|".join(TASK_FOLDERS.values()),
    task="|".join(TASK_FOLDERS),
    normalisation="|".join(CROSSCELL["normalisations"]),


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
    if config["input"] == "bigwig" and "signal" not in config["urls"]:
        raise ValueError("config key 'urls.signal': required when input is bigwig")
    if config["source"] == "processed" and not config["processed_dir"]:
        raise ValueError(
            "config key 'processed_dir': required when source is processed"
        )
    if CROSSCELL["enabled"]:
        check_crosscell_config()


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
    neighbour_models = [m for m in CROSSCELL["models"] if m.startswith("simplechrome")]
    if pooling and neighbour_models:
        raise ValueError(
            f"config key 'crosscell.models': {neighbour_models} read neighbouring genes, "
            f"which pooled cells do not define; use them with experiments [pairwise] only "
            f"(not {sorted(pooling)})"
        )


check_config()


def reads_url(wildcards):
    return config["urls"]["reads"].format(cell=wildcards.cell, mark=wildcards.mark)


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
        for cell in CELLS
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
    """What counting reads: signal bigWigs, the tagAlign itself, or the sorted BAM."""
    if config["input"] == "bigwig":
        return "bigwig"
    return "bam" if config["bam"] else "tagalign"


def count_source(wildcards):
    name = f"{wildcards.cell}-{wildcards.mark}"
    kind = count_source_kind()
    if kind == "bigwig":
        return {"source": f"resources/remc/signal/{name}.bigwig"}
    if kind == "tagalign":
        return {"source": f"resources/remc/reads/{name}.tagAlign.gz"}
    return {"source": f"results/bam/{name}.bam", "index": f"results/bam/{name}.bam.bai"}


def signal_url(wildcards):
    return config["urls"]["signal"].format(cell=wildcards.cell, mark=wildcards.mark)


def mark_counts(wildcards):
    return [f"results/counts/{wildcards.cell}-{mark}.npy" for mark in MARKS]


def processed_exports():
    if not config["export_processed"]:
        return []
    return expand(
        "results/processed/{cell}/classification/{split}.csv",
        cell=CELLS,
        split=SPLIT_NAMES,
    )


def models_regex(attention):
    """The configured models with (or without) attention weights, as a wildcard pattern."""
    chosen = [m for m in MODELS if (m in ATTENTION_MODELS) == attention]
    # A pattern that matches nothing when no configured model falls in the group.
    return "|".join(chosen) if chosen else "(?!)"


def task_of_folder(wildcards):
    return {folder: task for task, folder in TASK_FOLDERS.items()}[
        wildcards.task_folder
    ]


def model_params(wildcards):
    """Constructor hyperparameters of a model (published values unless the config sets them)."""
    return config["model_params"].get(wildcards.model, {})


def training_threads(wildcards):
    """Batch-1 steps (the published recipe) are too small to split over threads: one is faster."""
    batch_size = config["training"].get("batch_size")
    if batch_size == 1 or (
        batch_size is None and config["training"]["recipe"] == "published"
    ):
        return 1
    return 2


def trained_metrics(task="classification"):
    return expand(
        "results/{folder}/{model}/{cell}/metrics.json",
        folder=TASK_FOLDERS[task],
        model=MODELS,
        cell=CELLS,
    )


def task_metrics(wildcards):
    return trained_metrics(wildcards.task)


def task_table(wildcards):
    return {
        "classification": "results/tables/auc.tsv",
        "regression": "results/tables/regression.tsv",
    }[wildcards.task]


def task_score(wildcards):
    return {"classification": "test_auc", "regression": "test_pearson"}[wildcards.task]


def per_cell_checkpoints(wildcards):
    """Per-cell models for transfer: the plain ones, or ones trained on normalised inputs."""
    if wildcards.normalisation == "none":
        pattern = "results/models/{model}/{cell}/model.pt"
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
        targets += ["results/tables/auc.tsv", "results/figures/auc.png"]
    if "regression" in TASKS:
        targets += ["results/tables/regression.tsv"]
    return targets


def all_targets():
    return (
        expand("results/datasets/{cell}.npz", cell=CELLS)
        + processed_exports()
        + task_targets()
        + crosscell_targets()
    )
