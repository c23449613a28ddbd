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


if config.get("maestro", {}).get("audio_url"):

    # Real recordings, for users who want them: not an input of any stage yet, so
    # build it by name: snakemake results/corpus_audio
    rule download_audio:
        output:
            directory("results/corpus_audio"),
        params:
            url=config["maestro"]["audio_url"],
            sha256=config["maestro"].get("audio_sha256") or "",
            code=code_version("download"),
        log:
            "results/logs/download_audio.log",
        conda:
            "../../envs/music-enhance.yaml"
        shell:
            "music-enhance download-audio {output} --url {params.url:q} "
            "--sha256 {params.sha256:q} --cache-dir results/download > {log} 2>&1"
