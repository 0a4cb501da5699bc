# The differential task's settings, wildcard constraints and input functions
# (workflow/rules/differential.smk), beside common.smk, which holds the rest.

DIFFERENTIAL = config["differential"]
DIFFERENTIAL_BINS = derived.differential_bin_settings(config)


wildcard_constraints:
    cell_a="|".join(map(re.escape, CELLS)),
    cell_b="|".join(map(re.escape, CELLS)),
    dmodel=models_pattern(DIFFERENTIAL["models"]),


def differential_bins_bed(wildcards):
    """The window's bins BED, which only engine multicov reads."""
    if config["counting"]["engine"] == "multicov":
        return ["results/differential/window/bins/tss_bins.bed"]
    return []


def differential_mark_counts(wildcards):
    return [
        f"results/differential/window/counts/{wildcards.cell}-{mark}.npy"
        for mark in MARKS
    ]


def differential_datasets(wildcards):
    return {
        side: runs.differential_dataset(config, cell)
        for side, cell in (("a", wildcards.cell_a), ("b", wildcards.cell_b))
    }


def single_cell_inputs(wildcards):
    """The per-cell datasets and regression bundles the difference baseline takes."""
    model = DIFFERENTIAL["single_cell_model"]
    return {
        "a": f"results/datasets/{wildcards.cell_a}.npz",
        "b": f"results/datasets/{wildcards.cell_b}.npz",
        "model_a": f"results/regression/{model}/{wildcards.cell_a}/model.pt",
        "model_b": f"results/regression/{model}/{wildcards.cell_b}/model.pt",
    }


def pair_inputs(wildcards):
    """The datasets a differential model of the pair was trained on."""
    if wildcards.dmodel == "difference":
        inputs = single_cell_inputs(wildcards)
        return {"a": inputs["a"], "b": inputs["b"]}
    return differential_datasets(wildcards)


differential_model_params = lookup(
    dpath="differential/model_params/{dmodel}", within=config, default={}
)
