# train: one experiment = one task + networks + a loss recipe. The job resumes from
# results/train/{experiment}/last.pt when a killed run left one.


rule train:
    input:
        stamp=provenance("train"),
        shards=job("train", "records"),
        autoencoder=job("train", "autoencoder"),
    output:
        checkpoint=CHECKPOINT,
        metrics=METRICS,
    params:
        train=job("train", "train"),
        valid=job("train", "valid"),
        spec=job("train", "spec"),
        seed=config["seed"],
        options=job("train", "options"),
    threads: PLAN.threads("train")
    resources:
        **sized("train"),
    log:
        "results/logs/train/{experiment}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance train {output.checkpoint:q} {output.metrics:q} "
        "--train-shards {params.train:q} --valid-shards {params.valid:q} "
        "--experiment {wildcards.experiment:q} --spec {params.spec:q} --seed {params.seed} "
        "--threads {threads} --provenance {input.stamp:q} {params.options:q} > {log:q} 2>&1"
