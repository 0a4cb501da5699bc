rule demo_mirror:
    output:
        demo_mirror_files(),
    params:
        cells=CELLS,
        marks=MARKS,
        seed=config["demo"]["seed"],
        n_genes=config["demo"]["n_genes"],
        out_dir="resources/demo-mirror",
    log:
        "logs/demo_mirror.log",
    conda:
        "../../envs/prep.yaml"
    script:
        "../scripts/demo_mirror.py"
