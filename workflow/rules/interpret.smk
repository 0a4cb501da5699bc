rule class_optimisation:
    input:
        dataset="results/datasets/{cell}.npz",
        model="results/models/{model}/{cell}/model.pt",
        metrics="results/models/{model}/{cell}/metrics.json",
    output:
        maps="results/interpret/optimisation/{model}/{cell}.npz",
    log:
        "logs/interpret/optimisation/{model}-{cell}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        optimisation=INTERPRET["optimisation"],
    script:
        "../scripts/class_optimisation.py"


# Adebayo et al.'s controls of the maps and attributions of one model on one cell: the same
# methods on models with re-initialised weights, without a mark, on permuted labels, and on the
# most predictive mark alone (chromexpr.interpret.controls). Trains the control models itself.
rule interpretation_controls:
    input:
        **targets.control_inputs(config),
        dataset="results/datasets/{cell}.npz",
        model="results/models/{model}/{cell}/model.pt",
    output:
        table=report(
            "results/interpret/controls/{model}/{cell}.tsv",
            caption="../report/controls.rst",
            category="Interpretation",
            subcategory="Controls",
            labels={"model": "{model}", "cell": "{cell}", "output": "controls"},
        ),
        maps="results/interpret/controls/{model}/{cell}.npz",
    log:
        "logs/interpret/controls/{model}-{cell}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(4000),
        runtime=per_attempt(60),
    params:
        optimisation=INTERPRET["optimisation"],
        attributions=INTERPRET["attributions"],
        controls=INTERPRET["controls"],
        reverse_minus_strand=config["bins"]["reverse_minus_strand"],
        demo=config["demo"],
    script:
        "../scripts/interpretation_controls.py"


rule optimisation_figure:
    input:
        maps="results/interpret/optimisation/{model}/{cell}.npz",
        controls="results/interpret/controls/{model}/{cell}.tsv",
        controls_maps="results/interpret/controls/{model}/{cell}.npz",
    output:
        report(
            "results/figures/interpret/optimisation/{model}-{cell}.png",
            caption="../report/optimisation.rst",
            category="Interpretation",
            subcategory="Class optimisation maps",
            labels={"model": "{model}", "cell": "{cell}"},
        ),
    log:
        "logs/interpret/optimisation/{model}-{cell}-figure.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        simulated=SIMULATED,
    script:
        "../scripts/optimisation_figure.py"


rule controls_summary:
    input:
        targets.control_tables(config, CELLS),
    output:
        table="results/tables/interpretation_controls.tsv",
        page=report(
            "results/report/interpretation_controls.html",
            caption="../report/controls_summary.rst",
            category="Interpretation",
            subcategory="Controls",
            labels={"model": "all", "cell": "all", "output": "summary"},
        ),
    log:
        "logs/interpret/controls/summary.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    script:
        "../scripts/controls_table.py"


rule optimisation_truth:
    input:
        maps="results/interpret/optimisation/{model}/{cell}.npz",
        dataset="results/datasets/{cell}.npz",
    output:
        report(
            "results/interpret/optimisation/{model}/{cell}-truth.tsv",
            caption="../report/optimisation_truth.rst",
            category="Interpretation",
            subcategory="Class optimisation maps",
            labels={
                "model": "{model}",
                "cell": "{cell}",
                "output": "agreement with the truth",
            },
        ),
    log:
        "logs/interpret/optimisation/{model}-{cell}-truth.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        reverse_minus_strand=config["bins"]["reverse_minus_strand"],
        demo=config["demo"],
    script:
        "../scripts/optimisation_truth.py"


rule attributions:
    input:
        dataset="results/datasets/{cell}.npz",
        model="results/models/{model}/{cell}/model.pt",
    output:
        maps="results/interpret/attributions/{model}/{cell}/integrated_gradients.npz",
        knockouts=report(
            "results/interpret/attributions/{model}/{cell}/knockouts.tsv",
            caption="../report/knockouts.rst",
            category="Interpretation",
            subcategory="Attributions",
            labels={"model": "{model}", "cell": "{cell}", "output": "knockouts"},
        ),
        png=report(
            "results/figures/interpret/attributions/{model}-{cell}.png",
            caption="../report/attributions.rst",
            category="Interpretation",
            subcategory="Attributions",
            labels={
                "model": "{model}",
                "cell": "{cell}",
                "output": "integrated gradients",
            },
        ),
    log:
        "logs/interpret/attributions/{model}-{cell}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        attributions=INTERPRET["attributions"],
        simulated=SIMULATED,
    script:
        "../scripts/attributions.py"


rule attribution_truth:
    input:
        maps="results/interpret/attributions/{model}/{cell}/integrated_gradients.npz",
        knockouts="results/interpret/attributions/{model}/{cell}/knockouts.tsv",
        dataset="results/datasets/{cell}.npz",
    output:
        report(
            "results/interpret/attributions/{model}/{cell}/truth.tsv",
            caption="../report/attribution_truth.rst",
            category="Interpretation",
            subcategory="Attributions",
            labels={
                "model": "{model}",
                "cell": "{cell}",
                "output": "agreement with the truth",
            },
        ),
    log:
        "logs/interpret/attributions/{model}-{cell}-truth.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        reverse_minus_strand=config["bins"]["reverse_minus_strand"],
        demo=config["demo"],
    script:
        "../scripts/attribution_truth.py"


rule conditional_gan:
    input:
        unpack(gan_classifier),
        dataset="results/datasets/{cell}.npz",
    output:
        metrics=report(
            "results/interpret/gan/{cell}/metrics.tsv",
            caption="../report/gan_metrics.rst",
            category="Interpretation",
            subcategory="Conditional GAN",
            labels={"cell": "{cell}", "output": "measures"},
        ),
        history="results/interpret/gan/{cell}/history.tsv",
        samples="results/interpret/gan/{cell}/samples.npz",
        profiles=report(
            "results/figures/interpret/gan/{cell}-profiles.png",
            caption="../report/gan_profiles.rst",
            category="Interpretation",
            subcategory="Conditional GAN",
            labels={"cell": "{cell}", "output": "mean profiles"},
        ),
        grid=report(
            "results/figures/interpret/gan/{cell}-samples.png",
            caption="../report/gan_samples.rst",
            category="Interpretation",
            subcategory="Conditional GAN",
            labels={"cell": "{cell}", "output": "samples"},
        ),
    log:
        "logs/interpret/gan/{cell}.log",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(4000),
        runtime=per_attempt(60),
    params:
        gan=INTERPRET["gan"],
        simulated=SIMULATED,
    script:
        "../scripts/conditional_gan.py"


rule attention_weights:
    input:
        model="results/models/{model}/{cell}/model.pt",
        dataset="results/datasets/{cell}.npz",
    output:
        "results/interpret/attention/{model}/{cell}/attention.npz",
    log:
        "logs/interpret/attention/{model}-{cell}-weights.log",
    wildcard_constraints:
        model=models_pattern(ATTENTION_MODELS),
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    script:
        "../scripts/attention_weights.py"


rule attention_summary:
    input:
        attention="results/interpret/attention/{model}/{cell}/attention.npz",
        dataset="results/datasets/{cell}.npz",
    output:
        bins="results/interpret/attention/{model}/{cell}/bins.tsv",
        marks=report(
            "results/interpret/attention/{model}/{cell}/marks.tsv",
            caption="../report/attention_marks.rst",
            category="Interpretation",
            subcategory="Attention",
            labels={"model": "{model}", "cell": "{cell}", "output": "mark attention"},
        ),
        png=report(
            "results/figures/interpret/attention/{model}-{cell}.png",
            caption="../report/attention.rst",
            category="Interpretation",
            subcategory="Attention",
            labels={"model": "{model}", "cell": "{cell}", "output": "figure"},
        ),
    log:
        "logs/interpret/attention/{model}-{cell}.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        simulated=SIMULATED,
    script:
        "../scripts/attention_summary.py"


rule signal_profiles:
    input:
        "results/datasets/{cell}.npz",
    output:
        tsv="results/interpret/profiles/{cell}.tsv",
        png=report(
            "results/figures/interpret/profiles/{cell}.png",
            caption="../report/profiles.rst",
            category="Interpretation",
            subcategory="Signal profiles",
            labels={"cell": "{cell}"},
        ),
    log:
        "logs/interpret/profiles/{cell}.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        simulated=SIMULATED,
    script:
        "../scripts/signal_profiles.py"


rule browser_tracks:
    input:
        dataset="results/datasets/{cell}.npz",
        chrom_sizes=genome_file(),
    output:
        expand("results/tracks/{{cell}}/{mark}.bw", mark=MARKS),
    log:
        "logs/interpret/tracks/{cell}.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        reverse_minus_strand=config["bins"]["reverse_minus_strand"],
        window_convention=derived.bin_settings(config)["window_convention"],
    script:
        "../scripts/browser_tracks.py"
