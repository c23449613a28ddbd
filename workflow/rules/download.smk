# download: the MIDI corpus in MAESTRO v3's layout under results/corpus, with
# bad_midi.csv listing the files that cannot be read.


if config["source"] == "demo":

    rule download:
        output:
            directory("results/corpus"),
        params:
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

else:

    # A checkpoint: the pieces are known only once the archive's CSV is here.
    checkpoint download:
        output:
            directory("results/corpus"),
        params:
            maestro=canonical(config["maestro"]),
            code=code_version("download"),
        log:
            "results/logs/download.log",
        conda:
            "../../envs/music-enhance.yaml"
        shell:
            "music-enhance download {output} --maestro {params.maestro:q} "
            "--cache-dir results/download > {log} 2>&1"
