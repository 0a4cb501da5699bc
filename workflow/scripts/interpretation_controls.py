"""Controls of one trained model's maps and attributions on one cell type: TSV + npz."""

import torch

from chromexpr.dataset import CellDataset
from chromexpr.interpret.attribution import AttributionSettings
from chromexpr.interpret.controls.checks import ControlSettings
from chromexpr.interpret.controls.outputs import run_interpretation_controls
from chromexpr.interpret.optimisation import OptimisationSettings
from chromexpr.interpret.truth import dataset_truth
from chromexpr.logs import step_log
from chromexpr.train import load_checkpoint

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]):
    dataset = CellDataset.load(snakemake.input.dataset)
    demo = snakemake.params.demo
    truth = (
        dataset_truth(dataset, snakemake.params.reverse_minus_strand, demo["seed"], demo["n_genes"])
        if demo["enabled"]
        else None
    )
    maps = {"optimisation": "optimisation", "attributions": "integrated_gradients"}
    run_interpretation_controls(
        dataset,
        load_checkpoint(snakemake.input.model),
        {maps[key]: path for key, path in snakemake.input.items() if key in maps},
        OptimisationSettings.from_config(snakemake.params.optimisation),
        AttributionSettings.from_config(snakemake.params.attributions),
        ControlSettings.from_config(snakemake.params.controls),
        truth,
        snakemake.output.table,
        snakemake.output.maps,
    )
