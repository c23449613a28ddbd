# enhance: a trained generator applied to a whole test piece (overlap-add).


rule enhance:
    input:
        audio=lambda wildcards: task_input_path(
            experiment_task(wildcards.experiment), wildcards.piece
        ),
        checkpoint="results/train/{experiment}/generator.pt",
    output:
        "results/enhance/{experiment}/{piece}.flac",
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
        "music-enhance enhance {input.audio} {output} --checkpoint {input.checkpoint} "
        "--batch-size {params.batch_size} --merge {params.merge} --threads {threads} "
        "> {log} 2>&1"
