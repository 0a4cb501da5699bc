from pathlib import Path

from snakemake.utils import validate

validate(config, "../schemas/config.schema.yaml")

CELLS = config["cells"]
MARKS = config["marks"]
SPLIT_NAMES = ["train", "valid", "test"]
MODELS = config["models"]
CROSSCELL = config["crosscell"]


wildcard_constraints:
    cell="|".join(CELLS),
    mark="|".join(MARKS),
    split="|".join(SPLIT_NAMES),
    model="|".join(MODELS),
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


def side_by_side():
    """Whether each model trains on all cells in one job (training.side_by_side)."""
    choice = config["training"].get("side_by_side", "auto")
    if choice != "auto":
        return choice
    training = config["training"]
    device = training.get("device", "auto")
    if training.get("recipe", "fast") != "published" or device == "cpu":
        return False
    if device == "cuda":
        return True
    import torch

    return torch.cuda.is_available()


def side_by_side_groups():
    """The cells in groups of training.side_by_side_group_size (null: one group), config order."""
    size = config["training"].get("side_by_side_group_size") or len(CELLS)
    return [CELLS[start : start + size] for start in range(0, len(CELLS), size)]


def cell_files(name, cells):
    """One model's file ``name`` for each of ``cells``, in that order."""
    return expand("results/models/{{model}}/{cell}/{name}", cell=cells, name=name)


def trained_metrics():
    return expand(
        "results/models/{model}/{cell}/metrics.json", model=MODELS, cell=CELLS
    )


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
        model=MODELS,
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
            model=MODELS,
            normalisation=CROSSCELL["normalisations"],
        )
    return targets


def all_targets():
    return (
        expand("results/datasets/{cell}.npz", cell=CELLS)
        + processed_exports()
        + ["results/tables/auc.tsv", "results/figures/auc.png"]
        + crosscell_targets()
    )
