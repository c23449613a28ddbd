# train: one experiment = one task + networks + a loss recipe. The job resumes from
# results/train/{experiment}/last.pt when a killed run left one.


rule train:
    input:
        train=job("train", "train"),
        valid=job("train", "valid"),
        autoencoder=job("train", "autoencoder"),
    output:
        checkpoint=CHECKPOINT,
        metrics="results/train/{experiment}/metrics.csv",
    params:
        spec=job("train", "spec"),
        seed=config["seed"],
        options=job("train", "options"),
        code=code_version("train"),
    threads: 8
    resources:
        mem_mb=lambda wildcards: PLAN.train_resources(wildcards.experiment)["mem_mb"],
        runtime=lambda wildcards: PLAN.train_resources(wildcards.experiment)["runtime"],
        gpu=lambda wildcards: PLAN.train_resources(wildcards.experiment)["gpu"],
    log:
        "results/logs/train/{experiment}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance train {output.checkpoint:q} {output.metrics:q} "
        "--train-shards {input.train:q} --valid-shards {input.valid:q} "
        "--experiment {wildcards.experiment:q} --spec {params.spec:q} --seed {params.seed} "
        "--threads {threads} {params.options} > {log:q} 2>&1"
