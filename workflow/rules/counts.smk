rule count_reads:
    input:
        unpack(count_source),
        bins="results/bins/tss_bins.bed",
        genes="results/genes/genes.tsv",
        chrom_sizes=config["chrom_sizes"],
    output:
        "results/counts/{cell}-{mark}.npy",
    log:
        "logs/counts/{cell}-{mark}.log",
    conda:
        "../../envs/prep.yaml"
    params:
        source=count_source_kind(),
        counting=config["counting"],
        bins=config["bins"],
    script:
        "../scripts/count_reads.py"
