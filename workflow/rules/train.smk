# train: one experiment = one task + networks + a loss recipe. The job resumes from
# results/train/{experiment}/last.pt when a killed run left one.


rule train:
    input:
        train=lambda wildcards: shard_paths(experiment_task(wildcards.experiment), "train"),
        valid=lambda wildcards: shard_paths(
            experiment_task(wildcards.experiment), "validation"
        ),
        autoencoder=autoencoder_input,
    output:
        checkpoint="results/train/{experiment}/generator.pt",
        metrics="results/train/{experiment}/metrics.csv",
    params:
        spec=train_spec,
        seed=config["seed"],
        autoencoder=autoencoder_option,
        code=code_version("train"),
    threads: 8
    resources:
        mem_mb=train_resource("mem_mb"),
        runtime=train_resource("runtime"),
        gpu=train_resource("gpu"),
    log:
        "results/logs/train/{experiment}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance train {output.checkpoint:q} {output.metrics:q} --train-shards {input.train:q} "
        "--valid-shards {input.valid:q} --experiment {wildcards.experiment:q} --spec {params.spec:q} --seed {params.seed} "
        "--threads {threads} {params.autoencoder} > {log:q} 2>&1"
