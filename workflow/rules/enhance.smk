# enhance: a trained generator applied to a batch of whole test pieces (overlap-add);
# the JSON beside each output holds the timing. enhance_collab: the same generator
# with collaborative sampling, scored as the system "<experiment>.collab".


rule enhance:
    input:
        stamp=provenance("enhance"),
        records=job("enhance", "records"),
        checkpoint=job("enhance", "checkpoint"),
    output:
        record_of(ENHANCE),
    params:
        inputs=job("enhance", "inputs"),
        outputs=job("enhance", "outputs"),
        infos=job("enhance", "infos"),
        batch_size=config["enhance"]["batch_size"],
        merge=config["enhance"]["merge"],
    threads: 2
    log:
        "results/logs/enhance/{experiment}/{batch}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance enhance --inputs {params.inputs:q} --outputs {params.outputs:q} "
        "--infos {params.infos:q} --checkpoint {input.checkpoint:q} "
        "--batch-size {params.batch_size} --merge {params.merge:q} --threads {threads} "
        "--record {output:q} > {log:q} 2>&1"


rule enhance_collab:
    input:
        stamp=provenance("enhance_collab"),
        records=job("enhance_collab", "records"),
        checkpoint=job("enhance_collab", "checkpoint"),
    output:
        record_of(COLLAB),
    params:
        inputs=job("enhance_collab", "inputs"),
        outputs=job("enhance_collab", "outputs"),
        infos=job("enhance_collab", "infos"),
        batch_size=config["enhance"]["batch_size"],
        merge=config["enhance"]["merge"],
        collab=job("enhance_collab", "collab"),
    threads: 2
    log:
        "results/logs/enhance_collab/{experiment}/{batch}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance enhance --inputs {params.inputs:q} --outputs {params.outputs:q} "
        "--infos {params.infos:q} --checkpoint {input.checkpoint:q} "
        "--batch-size {params.batch_size} --merge {params.merge:q} --threads {threads} "
        "--collab {params.collab:q} --record {output:q} > {log:q} 2>&1"
