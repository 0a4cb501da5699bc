rule labels:
    input:
        genes="results/genes/genes.tsv",
        rpkm="resources/remc/57epigenomes.RPKM.pc.gz",
    output:
        "results/labels/labels.tsv",
    params:
        cells=CELLS,
    log:
        "logs/labels/labels.log",
    conda:
        "../../envs/prep.yaml"
    script:
        "../scripts/labels.py"


rule split:
    input:
        genes="results/genes/genes.tsv",
    output:
        "results/splits/split.tsv",
    params:
        weights=config["split"],
    log:
        "logs/splits/split.log",
    conda:
        "../../envs/prep.yaml"
    script:
        "../scripts/split.py"
