rule expression:
    input:
        annotation="resources/remc/gene_annotation.txt",
        source=expression_source,
    output:
        table="results/expression/{cell}.tsv",
        qc="results/qc/expression/{cell}.json",
    log:
        "logs/expression/{cell}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        settings=config["expression"],
        annotation=config["urls"]["annotation"],
        annotation_format=config["annotation_format"],
    script:
        "../scripts/expression.py"


rule expression_qc:
    input:
        expand("results/qc/expression/{cell}.json", cell=CELLS),
    output:
        report(
            "results/tables/qc_expression.tsv",
            caption="../report/qc_expression.rst",
            category="Data QC",
        ),
    log:
        "logs/expression/qc.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(10),
    script:
        "../scripts/expression_qc.py"


rule labels:
    input:
        genes="results/genes/genes.tsv",
        expression="results/expression/{cell}.tsv",
    output:
        "results/labels/{cell}.tsv",
    log:
        "logs/labels/{cell}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        # one file per cell type: adding a cell type leaves the others' labels untouched
        cells=lambda wildcards: [wildcards.cell],
        median_over=config["labels"]["median_over"],
        unit=config["expression"]["unit"],
    script:
        "../scripts/labels.py"


rule split:
    input:
        genes="results/genes/genes.tsv",
    output:
        runs.split_tables(config),
    log:
        "logs/splits/split.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        split=config["split"],
        window=config["bins"]["window"],
    script:
        "../scripts/split.py"
