rule count_reads:
    input:
        unpack(count_sources),
        unpack(multicov_bins),
        genes="results/genes/positions.tsv",
        chrom_sizes=genome_file(),
    output:
        "results/counts/{cell}-{mark}.npy",
    log:
        "logs/counts/{cell}-{mark}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        # fast engine: ~5 s per 10 M reads, ~2 GiB peak at 30 M reads measured -> 4 GB
        # covers 50 M. An unsorted BAM is sorted here first (samtools sort: 768 MB buffer).
        mem_mb=per_attempt(4000),
        runtime=per_attempt(20),
    params:
        formats=count_formats,
        counting=config["counting"],
        annotation=config["urls"]["annotation"],
        bins=derived.bin_settings(config),
    script:
        "../scripts/count_reads.py"
