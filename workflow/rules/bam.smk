rule tagalign_to_bam:
    input:
        reads="resources/remc/reads/{cell}-{mark}.tagAlign.gz",
        chrom_sizes=genome_file(),
    output:
        bam=bam_file("results/bam/{cell}-{mark}.bam"),
        bai=bam_file("results/bam/{cell}-{mark}.bam.bai"),
        report="results/qc/reads/{cell}-{mark}.json",
    log:
        "logs/bam/{cell}-{mark}.log",
    conda:
        "../../envs/prep.yaml"
    # bedtools and samtools sort run side by side, and the sort itself splits over threads.
    threads: 2
    resources:
        # bedtools bedtobam + samtools sort: 36 s per 10 M reads measured -> ~3 min for
        # 50 M reads; sort buffers ~1 GB per thread.
        mem_mb=per_attempt(4000),
        runtime=per_attempt(30),
    script:
        "../scripts/tagalign_to_bam.py"
