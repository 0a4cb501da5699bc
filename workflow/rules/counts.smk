rule count_reads:
    input:
        bam="results/bam/{cell}-{mark}.bam",
        bai="results/bam/{cell}-{mark}.bam.bai",
        bins="results/bins/tss_bins.bed",
        genes="results/genes/genes.tsv",
    output:
        "results/counts/{cell}-{mark}.npy",
    log:
        "logs/counts/{cell}-{mark}.log",
    conda:
        "../../envs/prep.yaml"
    params:
        counting=config["counting"],
        bins=config["bins"],
    script:
        "../scripts/count_reads.py"
