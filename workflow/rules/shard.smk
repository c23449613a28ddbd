# shard: sliding (input, target) windows of some pieces of one task and split, in
# HDF5; a split has as many shards as keep each under shard.max_bytes, and one job
# writes up to shard.shards_per_job of them, then its batch record.


rule shard:
    input:
        stamp=provenance("shard"),
        records=job("shard", "records"),
    output:
        SHARD_BATCH,
    params:
        outputs=job("shard", "outputs"),
        counts=job("shard", "counts"),
        pieces=job("shard", "pieces"),
        inputs=job("shard", "inputs"),
        targets=job("shard", "targets"),
        window=job("shard", "window"),
        stride=job("shard", "stride"),
        config_hash=job("shard", "config_hash"),
        options=job("shard", "options"),
    threads: PLAN.threads("shard")
    resources:
        **sized("shard"),
    log:
        "results/logs/shard/{task}/{split}/{index}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance shard --outputs {params.outputs:q} --counts {params.counts} "
        "--pieces {params.pieces:q} --split {wildcards.split:q} "
        "--inputs {params.inputs:q} --targets {params.targets:q} "
        "--window {params.window} --stride {params.stride} --task {wildcards.task:q} "
        "--config-hash {params.config_hash:q} {params.options:q} --record {output:q} "
        "> {log:q} 2>&1"
