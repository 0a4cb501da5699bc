# Differential expression between cell types (differential.enabled; docs/differential.md): per
# pair (A, B) of cells, the log2 fold change of B over A predicted from both cells' marks by
# DeepDiff and baselines, into results/differential/{A}/{B}/{model}/. The pairs' datasets are
# the per-cell ones; where differential.window differs from bins, the reads are counted once
# more in that window (results/differential/window/).


rule differential_bins:
    input:
        genes="results/genes/positions.tsv",
        chrom_sizes=genome_file(),
    output:
        "results/differential/window/bins/tss_bins.bed",
    log:
        "logs/differential/window/tss_bins.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        bins=DIFFERENTIAL_BINS,
    script:
        "../scripts/tss_bins.py"


rule differential_count_reads:
    input:
        unpack(count_sources),
        bins=differential_bins_bed,
        genes="results/genes/positions.tsv",
        chrom_sizes=genome_file(),
    output:
        "results/differential/window/counts/{cell}-{mark}.npy",
    log:
        "logs/differential/window/counts/{cell}-{mark}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        # as count_reads (the window's bins are twice as many at DeepDiff's)
        mem_mb=per_attempt(4000),
        runtime=per_attempt(20),
    params:
        formats=count_formats,
        counting=config["counting"],
        annotation=config["urls"]["annotation"],
        bins=DIFFERENTIAL_BINS,
    script:
        "../scripts/count_reads.py"


rule differential_dataset:
    input:
        genes="results/genes/genes.tsv",
        positions="results/genes/positions.tsv",
        labels="results/labels/{cell}.tsv",
        split="results/splits/split.tsv",
        counts=differential_mark_counts,
    output:
        "results/differential/window/datasets/{cell}.npz",
    log:
        "logs/differential/window/datasets/{cell}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
    params:
        marks=MARKS,
        bins=DIFFERENTIAL_BINS,
    script:
        "../scripts/assemble_dataset.py"


rule differential_train:
    input:
        unpack(differential_datasets),
    output:
        model="results/differential/{cell_a}/{cell_b}/{dmodel}/model.pt",
        metrics="results/differential/{cell_a}/{cell_b}/{dmodel}/metrics.json",
        history="results/differential/{cell_a}/{cell_b}/{dmodel}/history.tsv",
        predictions="results/differential/{cell_a}/{cell_b}/{dmodel}/predictions.tsv",
    log:
        "logs/differential/{cell_a}/{cell_b}/{dmodel}.log",
    wildcard_constraints:
        dmodel=models_pattern([m for m in DIFFERENTIAL["models"] if m != "difference"]),
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        # DeepDiff, CPU, one thread: its 20 bin-level LSTMs cost about 4 AttentiveChromes a
        # gene; the published recipe (120 epochs) needs a GPU or hours (docs/differential.md).
        gpu=training_gpus,
        mem_mb=per_attempt(8000),
        runtime=per_attempt(480),
    params:
        training=derived.differential_training(config),
        model_params=differential_model_params,
        pseudocount=DIFFERENTIAL["pseudocount"],
        threshold=DIFFERENTIAL["threshold"],
        provenance={
            "split": config["split"],
            "fold": 0,
            "reverse_minus_strand": config["bins"]["reverse_minus_strand"],
            "window_convention": DIFFERENTIAL_BINS["window_convention"],
        },
    script:
        "../scripts/differential_train.py"


rule differential_difference:
    input:
        unpack(single_cell_inputs),
    output:
        model="results/differential/{cell_a}/{cell_b}/difference/model.pt",
        metrics="results/differential/{cell_a}/{cell_b}/difference/metrics.json",
        history="results/differential/{cell_a}/{cell_b}/difference/history.tsv",
        predictions="results/differential/{cell_a}/{cell_b}/difference/predictions.tsv",
    log:
        "logs/differential/{cell_a}/{cell_b}/difference.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        # two forward passes over the pair's genes
        mem_mb=per_attempt(4000),
        runtime=per_attempt(30),
    params:
        pseudocount=DIFFERENTIAL["pseudocount"],
        threshold=DIFFERENTIAL["threshold"],
        provenance={
            "split": config["split"],
            "fold": 0,
            "reverse_minus_strand": config["bins"]["reverse_minus_strand"],
            "window_convention": derived.bin_settings(config)["window_convention"],
        },
    script:
        "../scripts/differential_difference.py"


rule differential_tables:
    input:
        metrics=runs.differential_runs(config, CELLS, "metrics.json"),
        predictions=runs.differential_runs(config, CELLS, "predictions.tsv"),
    output:
        table=report(
            "results/tables/differential.tsv",
            caption="../report/differential_table.rst",
            category="Differential expression",
        ),
        comparisons="results/tables/differential_comparisons.tsv",
        markdown="results/tables/differential.md",
    log:
        "logs/tables/differential.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        bootstrap=DIFFERENTIAL["bootstrap"],
    script:
        "../scripts/differential_tables.py"


rule differential_scatter:
    input:
        table="results/tables/differential.tsv",
        predictions=expand(
            "results/differential/{{cell_a}}/{{cell_b}}/{dmodel}/predictions.tsv",
            dmodel=DIFFERENTIAL["models"],
        ),
    output:
        report(
            "results/figures/differential/{cell_a}-{cell_b}.png",
            caption="../report/differential_scatter.rst",
            category="Differential expression",
            labels={
                "pair": "{cell_a}-{cell_b}",
                "figure": "predicted against observed",
            },
        ),
    log:
        "logs/figures/differential/{cell_a}-{cell_b}.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
    params:
        models=DIFFERENTIAL["models"],
        threshold=DIFFERENTIAL["threshold"],
        simulated=SIMULATED,
    script:
        "../scripts/differential_scatter.py"


rule differential_tracks:
    input:
        predictions="results/differential/{cell_a}/{cell_b}/{dmodel}/predictions.tsv",
        chrom_sizes=genome_file(),
    output:
        bed="results/differential/{cell_a}/{cell_b}/{dmodel}/predictions.bed",
        bigwig="results/differential/{cell_a}/{cell_b}/{dmodel}/predictions.bw",
    log:
        "logs/differential/{cell_a}/{cell_b}/{dmodel}-tracks.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
    script:
        "../scripts/differential_tracks.py"


rule differential_attention:
    input:
        unpack(pair_inputs),
        model="results/differential/{cell_a}/{cell_b}/{dmodel}/model.pt",
    output:
        bins="results/differential/{cell_a}/{cell_b}/{dmodel}/attention_bins.tsv",
        marks="results/differential/{cell_a}/{cell_b}/{dmodel}/attention_marks.tsv",
        png=report(
            "results/figures/differential/attention/{cell_a}-{cell_b}-{dmodel}.png",
            caption="../report/differential_attention.rst",
            category="Differential expression",
            labels={"pair": "{cell_a}-{cell_b}", "figure": "attention of {dmodel}"},
        ),
    log:
        "logs/differential/{cell_a}/{cell_b}/{dmodel}-attention.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(4000),
        runtime=per_attempt(60),
    params:
        simulated=SIMULATED,
    script:
        "../scripts/differential_attention.py"


rule differential_truth:
    input:
        unpack(pair_inputs),
        model="results/differential/{cell_a}/{cell_b}/{dmodel}/model.pt",
    output:
        "results/differential/{cell_a}/{cell_b}/{dmodel}/truth.tsv",
    log:
        "logs/differential/{cell_a}/{cell_b}/{dmodel}-truth.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(4000),
        runtime=per_attempt(60),
    params:
        demo=config["demo"],
        reverse_minus_strand=config["bins"]["reverse_minus_strand"],
        steps=INTERPRET["attributions"]["steps"],
    script:
        "../scripts/differential_truth.py"


rule differential_truth_table:
    input:
        runs.differential_runs(config, CELLS, "truth.tsv"),
    output:
        report(
            "results/tables/differential_truth.tsv",
            caption="../report/differential_truth.rst",
            category="Differential expression",
        ),
    log:
        "logs/tables/differential_truth.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(10),
    script:
        "../scripts/differential_truth_table.py"
