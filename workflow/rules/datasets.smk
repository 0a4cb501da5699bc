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
        params:
            root=config["processed_dir"],
            bins=config["bins"],
        script:
            "../scripts/import_processed.py"

else:

    rule assemble_dataset:
        input:
            genes="results/genes/genes.tsv",
            labels="results/labels/{cell}.tsv",
            split="results/splits/split.tsv",
            counts=mark_counts,
        output:
            "results/datasets/{cell}.npz",
        log:
            "logs/datasets/{cell}.log",
        conda:
            "../../envs/prep.yaml"
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
    params:
        root=processed_root,
    script:
        "../scripts/export_processed.py"
