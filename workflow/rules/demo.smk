rule demo_mirror:
    input:
        chrom_sizes=genome_file(),
    output:
        targets.demo_mirror_files(config, SAMPLE_TABLE),
    log:
        "logs/demo_mirror.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        cells=SAMPLES,
        marks=MARKS,
        seed=config["demo"]["seed"],
        n_genes=config["demo"]["n_genes"],
        switching=config["demo"]["switching"],
        out_dir=output_folder,
    script:
        "../scripts/demo_mirror.py"
