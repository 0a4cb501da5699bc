if side_by_side():

    for group, group_cells in enumerate(side_by_side_groups()):

        rule:
            name:
                f"train_side_by_side_{group}"
            input:
                expand("results/datasets/{cell}.npz", cell=group_cells),
            output:
                model=cell_files("model.pt", group_cells),
                metrics=cell_files("metrics.json", group_cells),
                history=cell_files("history.tsv", group_cells),
                predictions=cell_files("predictions.tsv", group_cells),
            log:
                f"logs/train/{{model}}/side-by-side-{group}.log",
            conda:
                "../../envs/train.yaml"
            threads: training_threads
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
