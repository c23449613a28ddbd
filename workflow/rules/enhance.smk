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
        records=job("collab", "records"),
        checkpoint=job("collab", "checkpoint"),
    output:
        record_of(COLLAB),
    params:
        inputs=job("collab", "inputs"),
        outputs=job("collab", "outputs"),
        infos=job("collab", "infos"),
        batch_size=config["enhance"]["batch_size"],
        merge=config["enhance"]["merge"],
        collab=job("collab", "collab"),
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
