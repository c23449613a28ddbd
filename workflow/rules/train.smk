# train: one experiment = one task + one model + one loss recipe.


rule train:
    input:
        train=lambda wildcards: f"results/shards/{experiment_task(wildcards.experiment)}/train.h5",
        valid=lambda wildcards: (
            f"results/shards/{experiment_task(wildcards.experiment)}/validation.h5"
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
        "music-enhance train {input.train} {input.valid} {output.checkpoint} {output.metrics} "
        "--experiment {wildcards.experiment} --spec {params.spec:q} --seed {params.seed} "
        "--threads {threads} > {log} 2>&1"
