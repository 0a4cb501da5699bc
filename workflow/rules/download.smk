# Downloads (and the demo's local mirror) run where Snakemake runs, not as cluster jobs: compute
# nodes often have no internet.
localrules:
    demo_mirror,
    download_reads,
    download_rpkm,
    download_annotation,
    download_signal,
    download_sample,
    download_expression,


rule download_reads:
    input:
        mirror=demo_mirror_reads,
    output:
        "resources/remc/reads/{cell}-{mark}.tagAlign.gz",
    log:
        "logs/download/{cell}-{mark}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        downloads=1,
        # network bound; REMC tagAlign files are 0.3-1.5 GB
        mem_mb=per_attempt(2000),
        runtime=per_attempt(60),
    params:
        url=reads_url,
        settings=config["download"],
    script:
        "../scripts/download.py"


rule download_rpkm:
    input:
        mirror=demo_mirror_file("57epigenomes.RPKM.pc.gz"),
    output:
        "resources/remc/57epigenomes.RPKM.pc.gz",
    log:
        "logs/download/rpkm.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        downloads=1,
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        url=config["urls"].get("rpkm"),
        settings=config["download"],
    script:
        "../scripts/download.py"


rule download_annotation:
    input:
        mirror=demo_mirror_file("Ensembl_v65.Gencode_v10.ENSG.gene_info"),
    output:
        "resources/remc/gene_annotation.txt",
    log:
        "logs/download/annotation.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        downloads=1,
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        url=config["urls"]["annotation"],
        settings=config["download"],
    script:
        "../scripts/download.py"


rule download_signal:
    output:
        "resources/remc/signal/{cell}-{mark}.bigwig",
    log:
        "logs/download/signal-{cell}-{mark}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        downloads=1,
        # network bound, like the tagAlign files
        mem_mb=per_attempt(2000),
        runtime=per_attempt(60),
    params:
        url=signal_url,
        settings=config["download"],
    script:
        "../scripts/download.py"


rule download_sample:
    output:
        "resources/samples/{cell}/{mark}/{replicate}.{file_format}",
    log:
        "logs/download/samples/{cell}/{mark}/{replicate}.{file_format}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        downloads=1,
        # network bound; ENCODE BAMs are 1-5 GB
        mem_mb=per_attempt(2000),
        runtime=per_attempt(120),
    params:
        url=sample_url,
        settings=config["download"],
    script:
        "../scripts/download.py"


rule download_expression:
    output:
        "resources/expression/{cell}.txt",
    log:
        "logs/download/expression-{cell}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        downloads=1,
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        url=expression_url,
        settings=config["download"],
    script:
        "../scripts/download.py"
