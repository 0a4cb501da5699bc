rule train_model:
    input:
        "results/datasets/{cell}.npz",
    output:
        model="results/models/{model}/{cell}/model.pt",
        metrics="results/models/{model}/{cell}/metrics.json",
        history="results/models/{model}/{cell}/history.tsv",
        predictions="results/models/{model}/{cell}/predictions.tsv",
    log:
        "logs/train/{model}/{cell}.log",
    conda:
        "../../envs/train.yaml"
    threads: training_threads
    resources:
        gpu=TRAINING_GPUS,
    params:
        training=config["training"],
        model_params=model_params,
    script:
        "../scripts/train_model.py"
