rule class_optimisation:
    input:
        dataset="results/datasets/{cell}.npz",
        model="results/models/{model}/{cell}/model.pt",
        metrics="results/models/{model}/{cell}/metrics.json",
    output:
        maps="results/interpret/optimisation/{model}/{cell}.npz",
        png=report(
            "results/figures/interpret/optimisation/{model}-{cell}.png",
            caption="../report/optimisation.rst",
            category="Interpretation",
            subcategory="Class optimisation maps",
            labels={"model": "{model}", "cell": "{cell}"},
        ),
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
        chrom_sizes=configured_file("chrom_sizes"),
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
    script:
        "../scripts/browser_tracks.py"
