rule data_qc:
    input:
        datasets=expand("results/datasets/{cell}.npz", cell=CELLS),
        reports=targets.read_filter_reports(config, CELLS),
    output:
        reads=report(
            "results/tables/qc_reads.tsv",
            caption="../report/qc_reads.rst",
            category="Data QC",
        ),
        labels=report(
            "results/tables/qc_labels.tsv",
            caption="../report/qc_labels.rst",
            category="Data QC",
        ),
        png=report(
            "results/figures/qc.png",
            caption="../report/qc_figure.rst",
            category="Data QC",
        ),
    log:
        "logs/report/data_qc.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        simulated=SIMULATED,
        report_keys=read_filter_report_keys(),
        counts_are_reads=config["input"] == "reads",
    script:
        "../scripts/data_qc.py"


rule training_curves:
    input:
        expand("results/models/{model}/{cell}/history.tsv", model=MODELS, cell=CELLS),
    output:
        report(
            "results/figures/training_curves.png",
            caption="../report/training_curves.rst",
            category="Models",
        ),
    log:
        "logs/report/training_curves.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        simulated=SIMULATED,
        models=MODELS,
        cells=CELLS,
    script:
        "../scripts/training_curves.py"


rule auc_table_html:
    input:
        "results/tables/auc_wide.tsv",
        "results/tables/auc_pooled.tsv",
    output:
        report(
            "results/report/auc_wide.html",
            caption="../report/auc_wide.rst",
            category="Per-cell AUC",
        ),
        report(
            "results/report/auc_pooled.html",
            caption="../report/auc_pooled.rst",
            category="Per-cell AUC",
        ),
    log:
        "logs/report/auc_table_html.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        titles=[
            "Test AUC per cell type and model",
            "Test AUC per cell type and model over folds and seeds: mean and standard deviation",
        ],
    script:
        "../scripts/table_html.py"


rule claims_html:
    input:
        "results/tables/claims.tsv",
    output:
        report(
            "results/report/claims.html",
            caption="../report/claims_table.rst",
            category="Claims",
        ),
    log:
        "logs/report/claims_html.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        titles=["Published claims tested on this run"],
    script:
        "../scripts/table_html.py"


rule qc_tables_html:
    input:
        "results/tables/qc_reads.tsv",
        "results/tables/qc_labels.tsv",
    output:
        report(
            "results/report/qc_reads.html",
            caption="../report/qc_reads.rst",
            category="Data QC",
        ),
        report(
            "results/report/qc_labels.html",
            caption="../report/qc_labels.rst",
            category="Data QC",
        ),
    log:
        "logs/report/qc_tables_html.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        titles=["Reads per file", "Label balance per cell type and split"],
    script:
        "../scripts/table_html.py"
