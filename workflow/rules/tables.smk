rule auc_tables:
    input:
        metrics=run_metrics(),
        predictions=run_metrics("classification", "predictions.tsv"),
        published=configured_file("published_auc"),
    output:
        long=report(
            "results/tables/auc.tsv",
            caption="../report/auc_table.rst",
            category="Per-cell AUC",
        ),
        folds=report(
            "results/tables/auc_folds.tsv",
            caption="../report/auc_folds.rst",
            category="Per-cell AUC",
        ),
        pooled=report(
            "results/tables/auc_pooled.tsv",
            caption="../report/auc_pooled.rst",
            category="Per-cell AUC",
        ),
        wide="results/tables/auc_wide.tsv",
        markdown="results/tables/auc_wide.md",
        comparison=report(
            "results/tables/published_comparison.tsv",
            caption="../report/published_comparison.rst",
            category="Per-cell AUC",
        ),
        models=report(
            "results/tables/models.tsv",
            caption="../report/models_table.rst",
            category="Models",
        ),
    log:
        "logs/tables/auc_tables.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    script:
        "../scripts/auc_tables.py"


rule auc_plot:
    input:
        auc="results/tables/auc.tsv",
        published=configured_file("published_auc"),
    output:
        png=report(
            "results/figures/auc.png",
            caption="../report/auc_plot.rst",
            category="Per-cell AUC",
        ),
        svg="results/figures/auc.svg",
    log:
        "logs/figures/auc_plot.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        simulated=SIMULATED,
    script:
        "../scripts/auc_plot.py"


rule regression_tables:
    input:
        metrics=run_metrics("regression"),
    output:
        long=report(
            "results/tables/regression.tsv",
            caption="../report/regression_table.rst",
            category="Models",
        ),
        folds="results/tables/regression_folds.tsv",
        pooled="results/tables/regression_pooled.tsv",
        wide="results/tables/regression_wide.tsv",
        markdown="results/tables/regression_wide.md",
    log:
        "logs/tables/regression_tables.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    script:
        "../scripts/regression_tables.py"


rule model_plot:
    input:
        table=task_table,
    output:
        png=report(
            "results/figures/models-{task}.png",
            caption="../report/models_plot.rst",
            category="Models",
        ),
        svg="results/figures/models-{task}.svg",
    log:
        "logs/figures/models-{task}.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        simulated=SIMULATED,
        score=task_score,
    script:
        "../scripts/model_plot.py"


rule claims:
    input:
        metrics=run_metrics(),
        predictions=run_metrics("classification", "predictions.tsv"),
        crosscell=runs.claims_crosscell(config),
        differential=runs.claims_differential(config),
    output:
        claims=report(
            "results/tables/claims.tsv",
            caption="../report/claims_table.rst",
            category="Claims",
        ),
        markdown="results/tables/claims.md",
        pairs="results/tables/claims_pairs.tsv",
        png=report(
            "results/figures/claims.png",
            caption="../report/claims_plot.rst",
            category="Claims",
        ),
        svg="results/figures/claims.svg",
    log:
        "logs/tables/claims.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        margin=config["comparisons"]["equivalence_margin"],
        alpha=config["comparisons"]["alpha"],
        simulated=config["demo"]["enabled"],
    script:
        "../scripts/claims.py"
