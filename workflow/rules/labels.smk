rule labels:
    input:
        genes="results/genes/genes.tsv",
        rpkm="resources/remc/57epigenomes.RPKM.pc.gz",
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
    script:
        "../scripts/labels.py"


rule split:
    input:
        genes="results/genes/genes.tsv",
    output:
        split_tables(),
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
