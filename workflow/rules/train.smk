# One model on one cell type: results/models/... (classification) or results/regression/...
# With training.side_by_side on, each model trains on a group of cells in one job instead
# (SIDE_BY_SIDE_MODELS; chromexpr.train.stacked), writing the same per-cell files.


rule train_model:
    input:
        "results/datasets/{cell}.npz",
    output:
        model="results/{task_folder}/{model}/{cell}/model.pt",
        metrics="results/{task_folder}/{model}/{cell}/metrics.json",
        history="results/{task_folder}/{model}/{cell}/history.tsv",
        predictions="results/{task_folder}/{model}/{cell}/predictions.tsv",
    log:
        "logs/train/{task_folder}/{model}/{cell}.log",
    wildcard_constraints:
        model=models_regex(together=False),
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        # DeepChrome on one cell, CPU: published recipe ~6.5 min, fast ~25 s measured; larger
        # successors (LSTM/attention) run several times longer: 4 h leaves room. The published recipes
        # of the LSTM models (attentivechrome, rnn, crnn: 500 epochs) need a GPU or far more time on CPU
        # (benchmarks/models.py prints the seconds per epoch). 4 GB was enough on CPU; 8 GB leaves room
        # for the CUDA runtime on GPU nodes.
        gpu=training_gpus,
        mem_mb=per_attempt(8000),
        runtime=per_attempt(240),
    params:
        task=task_of_folder,
        training=seed_training,
        model_params=model_params,
        provenance=training_provenance,
    script:
        "../scripts/train_model.py"


# Every (fold, seed) besides the primary one (fold 0, first seed): one model on one cell per job,
# also for models trained side by side, on the fold's split table.
rule train_model_run:
    input:
        dataset="results/datasets/{cell}.npz",
        split=fold_split_table,
    output:
        model="results/{task_folder}/{model}/{cell}/fold-{fold}/seed-{seed}/model.pt",
        metrics="results/{task_folder}/{model}/{cell}/fold-{fold}/seed-{seed}/metrics.json",
        history="results/{task_folder}/{model}/{cell}/fold-{fold}/seed-{seed}/history.tsv",
        predictions="results/{task_folder}/{model}/{cell}/fold-{fold}/seed-{seed}/predictions.tsv",
    log:
        "logs/train/{task_folder}/{model}/{cell}/fold-{fold}-seed-{seed}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        # as train_model
        gpu=training_gpus,
        mem_mb=per_attempt(8000),
        runtime=per_attempt(240),
    params:
        task=task_of_folder,
        training=seed_training,
        model_params=model_params,
        provenance=training_provenance,
    script:
        "../scripts/train_model.py"


for group, group_cells in side_by_side_jobs():

    rule:
        name:
            f"train_side_by_side_{group}"
        input:
            expand("results/datasets/{cell}.npz", cell=group_cells),
        output:
            **side_by_side_outputs(group_cells),
        log:
            f"logs/train/{{task_folder}}/{{model}}/side-by-side-{group}.log",
        wildcard_constraints:
            model=models_regex(together=True),
        conda:
            "../../envs/train.yaml"
        threads: 1
        resources:
            # One model on a group of cells in one process: each cell's dataset (~40 MB of counts
            # at REMC scale, more as floats) and model in memory. CPU, DeepChrome published recipe:
            # 4.5 h for 56 cells, AttentiveChrome 6.8 h (docs/scale-out.md); on a GPU
            # not measured, so the CPU figures bound it.
            gpu=training_gpus,
            mem_mb=per_attempt(8000 + 100 * len(group_cells)),
            runtime=per_attempt(240 + 10 * len(group_cells)),
        params:
            task=task_of_folder,
            training=seed_training,
            model_params=model_params,
            provenance=training_provenance,
        script:
            "../scripts/train_side_by_side.py"
