if config["source"] == "processed":

    rule import_processed:
        input:
            expand(
                "{root}/{{cell}}/classification/{split}.csv",
                root=config["processed_dir"],
                split=SPLIT_NAMES,
            ),
        output:
            "results/datasets/{cell}.npz",
        log:
            "logs/datasets/{cell}.log",
        conda:
            "../../envs/prep.yaml"
        resources:
            mem_mb=per_attempt(2000),
            runtime=per_attempt(30),
        params:
            root=config["processed_dir"],
            bins=config["bins"],
        script:
            "../scripts/import_processed.py"

else:

    rule assemble_dataset:
        input:
            genes="results/genes/genes.tsv",
            positions="results/genes/positions.tsv",
            labels="results/labels/{cell}.tsv",
            split="results/splits/split.tsv",
            counts=mark_counts,
        output:
            "results/datasets/{cell}.npz",
        log:
            "logs/datasets/{cell}.log",
        conda:
            "../../envs/prep.yaml"
        resources:
            # one cell: 19,800 genes x 5 marks x 100 bins int32 = 40 MB.
            mem_mb=per_attempt(2000),
            runtime=per_attempt(15),
        params:
            marks=MARKS,
            bins=config["bins"],
        script:
            "../scripts/assemble_dataset.py"


rule export_processed:
    input:
        "results/datasets/{cell}.npz",
    output:
        expand(
            "results/processed/{{cell}}/classification/{split}.csv", split=SPLIT_NAMES
        ),
    log:
        "logs/processed/{cell}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        root=processed_root,
    script:
        "../scripts/export_processed.py"
