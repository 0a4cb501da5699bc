# Expression predicted for target samples (predict.samples) from their reads alone: each
# target's counts become a dataset without labels, which the bundles of predict.source score.


rule unlabelled_dataset:
    input:
        genes="results/genes/genes.tsv",
        positions="results/genes/positions.tsv",
        split="results/splits/split.tsv",
        counts=sample_mark_counts,
    output:
        "results/predictions/datasets/{sample}.npz",
    log:
        "logs/predictions/datasets/{sample}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        # as assemble_dataset, without the label table
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
    params:
        marks=MARKS,
        bins=config["bins"],
    script:
        "../scripts/unlabelled_dataset.py"


rule predict_sample:
    input:
        dataset="results/predictions/datasets/{sample}.npz",
        bundles=prediction_bundles,
        chrom_sizes=genome_file(),
    output:
        table=report(
            "results/predictions/{model}/{sample}.tsv",
            caption="../report/predictions.rst",
            category="Predictions",
        ),
        bed="results/predictions/{model}/{sample}.bed",
        bigwig="results/predictions/{model}/{sample}.bw",
    log:
        "logs/predictions/{model}/{sample}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        # one forward pass of a few bundles over one sample's genes (seconds on CPU at REMC
        # scale); memory as pairwise scoring of one cell.
        gpu=training_gpus,
        mem_mb=per_attempt(4000),
        runtime=per_attempt(30),
    params:
        task=PREDICT["task"],
        reverse_minus_strand=config["bins"]["reverse_minus_strand"],
        device=config["training"].get("device", "auto"),
        other_input_kind=other_input_kind,
    script:
        "../scripts/predict_sample.py"


rule prediction_scores:
    input:
        predictions="results/predictions/{model}/{sample}.tsv",
        dataset="results/datasets/{sample}.npz",
        # to refuse a bundle that trained on the test genes scored (another split)
        bundles=prediction_bundles,
    output:
        report(
            "results/predictions/{model}/{sample}-scores.tsv",
            caption="../report/prediction_scores.rst",
            category="Predictions",
        ),
    log:
        "logs/predictions/{model}/{sample}-scores.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
    script:
        "../scripts/prediction_scores.py"
