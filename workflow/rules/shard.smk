# shard: sliding (input, target) windows of one task and split, in HDF5.


rule shard:
    input:
        unpack(shard_inputs),
        manifest="results/manifest.csv",
    output:
        "results/shards/{task}/{split}.h5",
    params:
        input_pattern=lambda wildcards: task_input_path(wildcards.task),
        target_pattern=lambda wildcards: task_target_path(wildcards.task),
        window=lambda wildcards: config["tasks"][wildcards.task]["window"],
        stride=lambda wildcards: config["tasks"][wildcards.task]["stride"],
        code=code_version("shard"),
    log:
        "results/logs/shard/{task}/{split}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance shard {output} --manifest {input.manifest} --split {wildcards.split} "
        "--input-pattern {params.input_pattern:q} --target-pattern {params.target_pattern:q} "
        "--window {params.window} --stride {params.stride} --task {wildcards.task} "
        "> {log} 2>&1"
