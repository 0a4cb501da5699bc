rule download_reads:
    input:
        mirror=demo_mirror_reads,
    output:
        "resources/remc/reads/{cell}-{mark}.tagAlign.gz",
    params:
        url=reads_url,
        settings=config["download"],
    log:
        "logs/download/{cell}-{mark}.log",
    resources:
        downloads=1,
    conda:
        "../../envs/prep.yaml"
    script:
        "../scripts/download.py"


rule download_rpkm:
    input:
        mirror=demo_mirror_file("57epigenomes.RPKM.pc.gz"),
    output:
        "resources/remc/57epigenomes.RPKM.pc.gz",
    params:
        url=config["urls"]["rpkm"],
        settings=config["download"],
    log:
        "logs/download/rpkm.log",
    resources:
        downloads=1,
    conda:
        "../../envs/prep.yaml"
    script:
        "../scripts/download.py"


rule download_annotation:
    input:
        mirror=demo_mirror_file("Ensembl_v65.Gencode_v10.ENSG.gene_info"),
    output:
        "resources/remc/gene_annotation.txt",
    params:
        url=config["urls"]["annotation"],
        settings=config["download"],
    log:
        "logs/download/annotation.log",
    resources:
        downloads=1,
    conda:
        "../../envs/prep.yaml"
    script:
        "../scripts/download.py"
