rule train_normalised_model:
    input:
        "results/datasets/{cell}.npz",
    output:
        model="results/crosscell/models/{normalisation}/{model}/{cell}/model.pt",
        metrics="results/crosscell/models/{normalisation}/{model}/{cell}/metrics.json",
        history="results/crosscell/models/{normalisation}/{model}/{cell}/history.tsv",
        predictions="results/crosscell/models/{normalisation}/{model}/{cell}/predictions.tsv",
    log:
        "logs/crosscell/train/{normalisation}/{model}/{cell}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        # as train_model (one model on one cell, normalised inputs)
        gpu=training_gpus,
        mem_mb=per_attempt(8000),
        runtime=per_attempt(240),
    params:
        training=seed_training,
        model_params=model_params,
        provenance=training_provenance,
    script:
        "../scripts/crosscell_train.py"


rule crosscell_pairwise:
    input:
        datasets=expand("results/datasets/{cell}.npz", cell=CELLS),
        checkpoints=per_cell_checkpoints,
    output:
        table="results/crosscell/{model}/{normalisation}/pairwise.tsv",
        # per test cell, DeLong's test of the mean transfer AUC against the own model's
        tests="results/crosscell/{model}/{normalisation}/transfer_tests.tsv",
    log:
        "logs/crosscell/pairwise/{model}-{normalisation}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        # 56 x 56 cross-cell scoring ~12 min measured; all 56 datasets (~2.2 GB) and
        # models in memory.
        gpu=training_gpus,
        mem_mb=per_attempt(16000),
        runtime=per_attempt(60),
    params:
        cells=CELLS,
        training=seed_training,
        model_params=model_params,
        split=config["split"],
    script:
        "../scripts/crosscell_pairwise.py"


rule crosscell_leave_one_out:
    input:
        datasets=expand("results/datasets/{cell}.npz", cell=CELLS),
    output:
        "results/crosscell/{model}/{normalisation}/leave_one_out/{cell}/transfer.json",
    log:
        "logs/crosscell/leave_one_out/{model}-{normalisation}-{cell}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        # training on 55-56 cells' training genes (~370,000 genes, ~2.3 GB of float
        # inputs): ~55x the per-cell epoch time.
        gpu=training_gpus,
        mem_mb=per_attempt(32000),
        runtime=per_attempt(1440),
    params:
        cells=CELLS,
        training=seed_training,
        model_params=model_params,
    script:
        "../scripts/crosscell_leave_one_out.py"


rule crosscell_pooled:
    input:
        datasets=expand("results/datasets/{cell}.npz", cell=CELLS),
    output:
        transfer="results/crosscell/{model}/{normalisation}/pooled/transfer.tsv",
        # the pooled model's bundle, which predict.source: pooled predicts with
        model="results/crosscell/{model}/{normalisation}/pooled/model.pt",
    log:
        "logs/crosscell/pooled/{model}-{normalisation}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        # training on 55-56 cells' training genes (~370,000 genes, ~2.3 GB of float
        # inputs): ~55x the per-cell epoch time.
        gpu=training_gpus,
        mem_mb=per_attempt(32000),
        runtime=per_attempt(1440),
    params:
        cells=CELLS,
        training=seed_training,
        model_params=model_params,
    script:
        "../scripts/crosscell_pooled.py"


rule crosscell_heatmap:
    input:
        "results/crosscell/{model}/{normalisation}/pairwise.tsv",
    output:
        matrix="results/crosscell/{model}/{normalisation}/matrix.tsv",
        png=report(
            "results/figures/crosscell/{model}-{normalisation}.png",
            caption="../report/crosscell_heatmap.rst",
            category="Cross-cell",
        ),
        svg="results/figures/crosscell/{model}-{normalisation}.svg",
    log:
        "logs/crosscell/heatmap/{model}-{normalisation}.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        simulated=SIMULATED,
    script:
        "../scripts/crosscell_heatmap.py"


rule crosscell_tables:
    input:
        runs.crosscell_results(config, CELLS),
    output:
        long="results/tables/crosscell.tsv",
        summary=report(
            "results/tables/crosscell_summary.tsv",
            caption="../report/crosscell_summary.rst",
            category="Cross-cell",
        ),
    log:
        "logs/crosscell/tables.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    script:
        "../scripts/crosscell_tables.py"
