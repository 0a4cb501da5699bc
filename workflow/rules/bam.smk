rule tagalign_to_bam:
    input:
        reads="resources/remc/reads/{cell}-{mark}.tagAlign.gz",
        chrom_sizes=config["chrom_sizes"],
    output:
        bam="results/bam/{cell}-{mark}.bam",
        bai="results/bam/{cell}-{mark}.bam.bai",
        report="results/qc/reads/{cell}-{mark}.json",
    log:
        "logs/bam/{cell}-{mark}.log",
    conda:
        "../../envs/prep.yaml"
    threads: 2
    script:
        "../scripts/tagalign_to_bam.py"
