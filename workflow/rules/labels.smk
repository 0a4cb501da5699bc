rule labels:
    input:
        genes="results/genes/genes.tsv",
        rpkm="resources/remc/57epigenomes.RPKM.pc.gz",
    output:
        "results/labels/labels.tsv",
    log:
        "logs/labels/labels.log",
    conda:
        "../../envs/prep.yaml"
    params:
        cells=CELLS,
    script:
        "../scripts/labels.py"


rule split:
    input:
        genes="results/genes/genes.tsv",
    output:
        "results/splits/split.tsv",
    log:
        "logs/splits/split.log",
    conda:
        "../../envs/prep.yaml"
    params:
        weights=config["split"],
    script:
        "../scripts/split.py"
