rule demo_mirror:
    input:
        chrom_sizes=config["chrom_sizes"],
    output:
        demo_mirror_files(),
    log:
        "logs/demo_mirror.log",
    conda:
        "../../envs/prep.yaml"
    params:
        cells=CELLS,
        marks=MARKS,
        seed=config["demo"]["seed"],
        n_genes=config["demo"]["n_genes"],
        out_dir=output_folder,
    script:
        "../scripts/demo_mirror.py"
