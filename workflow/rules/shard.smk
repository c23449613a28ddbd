# shard: sliding (input, target) windows of some pieces of one task and split, in
# HDF5; a split has as many shards as keep each under shard.max_bytes.


rule shard:
    input:
        unpack(shard_inputs),
    output:
        "results/shards/{task}/{split}/{index}.h5",
    params:
        pieces=lambda wildcards: ",".join(shard_piece_ids(wildcards)),
        input_pattern=lambda wildcards: task_input_path(wildcards.task),
        target_pattern=lambda wildcards: task_target_path(wildcards.task),
        values=values_option,
        window=lambda wildcards: config["tasks"][wildcards.task]["window"],
        stride=lambda wildcards: config["tasks"][wildcards.task]["stride"],
        config_hash=lambda wildcards: task_config_hash(wildcards.task),
        options=shard_options,
        code=code_version("shard"),
    resources:
        mem_mb=4000,
    log:
        "results/logs/shard/{task}/{split}/{index}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance shard {output:q} --pieces {params.pieces:q} --split {wildcards.split:q} "
        "--input-pattern {params.input_pattern:q} --target-pattern {params.target_pattern:q} "
        "{params.values} --window {params.window} --stride {params.stride} "
        "--task {wildcards.task:q} --config-hash {params.config_hash:q} {params.options} "
        "> {log:q} 2>&1"
