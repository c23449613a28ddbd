# train: one experiment = one task + networks + a loss recipe. The job resumes from
# results/train/{experiment}/last.pt when a killed run left one.


rule train:
    input:
        stamp=provenance("train"),
        train=job("train", "train"),
        valid=job("train", "valid"),
        autoencoder=job("train", "autoencoder"),
    output:
        checkpoint=CHECKPOINT,
        metrics=METRICS,
    params:
        spec=job("train", "spec"),
        seed=config["seed"],
        options=job("train", "options"),
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
        "--threads {threads} --provenance {input.stamp:q} {params.options:q} > {log:q} 2>&1"
