# enhance: a trained generator applied to a whole test piece (overlap-add); the
# JSON beside the output holds the timing. enhance_collab: the same generator
# with collaborative sampling, scored as the system "<experiment>.collab".


rule enhance:
    input:
        audio=lambda wildcards: task_input_path(
            experiment_task(wildcards.experiment), wildcards.piece
        ),
        checkpoint="results/train/{experiment}/generator.pt",
    output:
        audio="results/enhance/{experiment}/{piece}.flac",
        info="results/enhance/{experiment}/{piece}.json",
    params:
        batch_size=config["enhance"].get("batch_size", 16),
        merge=config["enhance"].get("merge", "ola"),
        code=code_version("enhance"),
    threads: 2
    log:
        "results/logs/enhance/{experiment}/{piece}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance enhance {input.audio:q} {output.audio:q} --checkpoint {input.checkpoint:q} "
        "--batch-size {params.batch_size} --merge {params.merge:q} --threads {threads} "
        "--info {output.info:q} > {log:q} 2>&1"


rule enhance_collab:
    input:
        audio=lambda wildcards: task_input_path(
            experiment_task(wildcards.experiment), wildcards.piece
        ),
        checkpoint="results/train/{experiment}/generator.pt",
    output:
        audio="results/collab/{experiment}/{piece}.flac",
        info="results/collab/{experiment}/{piece}.json",
    params:
        batch_size=config["enhance"].get("batch_size", 16),
        merge=config["enhance"].get("merge", "ola"),
        collab=collab_spec,
        code=code_version("enhance"),
    threads: 2
    log:
        "results/logs/enhance_collab/{experiment}/{piece}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance enhance {input.audio:q} {output.audio:q} --checkpoint {input.checkpoint:q} "
        "--batch-size {params.batch_size} --merge {params.merge:q} --threads {threads} "
        "--collab {params.collab:q} --info {output.info:q} > {log:q} 2>&1"
