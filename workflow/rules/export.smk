# Model bundles leave the run and come back: export_models writes results/exported/ (bundles
# named {model}-{cell} and a manifest with each file's sha256); with pretrained: set to such a
# folder (path or URL), the per-cell models are fetched from it, checked, and used for scoring
# and prediction instead of trained.


# Fetching runs where Snakemake runs (compute nodes may have no internet), like the downloads.
localrules:
    pretrained_manifest,
    pretrained_bundle,


rule export_models:
    input:
        targets.exported_bundles(config, CELLS),
    output:
        "results/exported/manifest.json",
    log:
        "logs/exported.log",
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        names=targets.exported_names(config, CELLS),
    script:
        "../scripts/export_models.py"


rule pretrained_manifest:
    output:
        "resources/pretrained/manifest.json",
    log:
        "logs/pretrained/manifest.log",
    conda:
        "../../envs/prep.yaml"
    resources:
        downloads=1,
        mem_mb=per_attempt(1000),
        runtime=per_attempt(10),
    params:
        url=pretrained_manifest_url,
        settings=config["download"],
    script:
        "../scripts/download.py"


rule pretrained_bundle:
    input:
        manifest="resources/pretrained/manifest.json",
    output:
        "resources/pretrained/{model}-{cell}.pt",
    log:
        "logs/pretrained/{model}-{cell}.log",
    conda:
        "../../envs/train.yaml"
    resources:
        downloads=1,
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        source=config["pretrained"],
    script:
        "../scripts/pretrained_bundle.py"
