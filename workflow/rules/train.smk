# train: one experiment = one task + one model + one loss recipe.


rule train:
    input:
        train=lambda wildcards: shard_paths(experiment_task(wildcards.experiment), "train"),
        valid=lambda wildcards: shard_paths(
            experiment_task(wildcards.experiment), "validation"
        ),
    output:
        checkpoint="results/train/{experiment}/generator.pt",
        metrics="results/train/{experiment}/metrics.csv",
    params:
        spec=lambda wildcards: canonical(config["experiments"][wildcards.experiment]),
        seed=config["seed"],
        code=code_version("train"),
    threads: 8
    log:
        "results/logs/train/{experiment}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance train {output.checkpoint} {output.metrics} --train-shards {input.train} "
        "--valid-shards {input.valid} --experiment {wildcards.experiment} --spec {params.spec:q} --seed {params.seed} "
        "--threads {threads} > {log} 2>&1"
