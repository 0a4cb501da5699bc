if side_by_side():

    rule train_side_by_side:
        input:
            expand("results/datasets/{cell}.npz", cell=CELLS),
        output:
            model=cell_files("model.pt"),
            metrics=cell_files("metrics.json"),
            history=cell_files("history.tsv"),
            predictions=cell_files("predictions.tsv"),
        log:
            "logs/train/{model}/side-by-side.log",
        conda:
            "../../envs/train.yaml"
        threads: 2
        params:
            training=config["training"],
            model_params=model_params,
        script:
            "../scripts/train_side_by_side.py"

else:

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
        params:
            training=config["training"],
            model_params=model_params,
        script:
            "../scripts/train_model.py"
