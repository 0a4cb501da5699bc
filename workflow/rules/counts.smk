rule count_reads:
    input:
        unpack(count_source),
        unpack(multicov_bins),
        genes="results/genes/positions.tsv",
        chrom_sizes=configured_file("chrom_sizes"),
    output:
        "results/counts/{cell}-{mark}.npy",
    log:
        "logs/counts/{cell}-{mark}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        # fast engine: ~5 s per 10 M reads, ~2 GiB peak at 30 M reads measured -> 4 GB
        # covers 50 M.
        mem_mb=per_attempt(4000),
        runtime=per_attempt(20),
    params:
        source=count_source_kind(),
        counting=config["counting"],
        bins=config["bins"],
    script:
        "../scripts/count_reads.py"
