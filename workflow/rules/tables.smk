rule auc_tables:
    input:
        metrics=trained_metrics(),
        published=config["published_auc"],
    output:
        long=report(
            "results/tables/auc.tsv",
            caption="../report/auc_table.rst",
            category="Per-cell AUC",
        ),
        wide="results/tables/auc_wide.tsv",
        markdown="results/tables/auc_wide.md",
        comparison=report(
            "results/tables/published_comparison.tsv",
            caption="../report/published_comparison.rst",
            category="Per-cell AUC",
        ),
    log:
        "logs/tables/auc_tables.log",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/auc_tables.py"


rule auc_plot:
    input:
        auc="results/tables/auc.tsv",
        published=config["published_auc"],
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
    script:
        "../scripts/auc_plot.py"
