# download: the MIDI corpus in MAESTRO v3's layout under results/corpus.


rule download:
    output:
        directory("results/corpus"),
    params:
        demo=canonical(config["demo"]),
        pieces=config["demo"]["pieces"],
        min_duration=config["demo"]["min_duration"],
        max_duration=config["demo"]["max_duration"],
        seed=config["seed"],
        code=code_version("download"),
    log:
        "results/logs/download.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance demo {output} --pieces {params.pieces} "
        "--min-duration {params.min_duration} --max-duration {params.max_duration} "
        "--seed {params.seed} > {log} 2>&1"
