# download: the MIDI corpus in MAESTRO v3's layout under results/corpus, and
# results/corpus.json: the source it was made from and its unreadable MIDI files.


if config["source"] == "demo":

    rule download:
        input:
            stamp=provenance("download"),
        output:
            corpus=directory(CORPUS),
            checked=CORPUS_CHECKED,
        params:
            pieces=config["demo"]["pieces"],
            min_duration=config["demo"]["min_duration"],
            max_duration=config["demo"]["max_duration"],
            seed=config["seed"],
        threads: PLAN.threads("download")
        resources:
            **sized("download"),
        log:
            "results/logs/download.log",
        conda:
            "../../envs/music-enhance.yaml"
        shell:
            "music-enhance demo {output.corpus:q} {output.checked:q} --pieces {params.pieces} "
            "--min-duration {params.min_duration} --max-duration {params.max_duration} "
            "--seed {params.seed} > {log:q} 2>&1"

else:
    # The same job (one declaration) as an ordinary rule when the pieces are planned
    # at start-up, else as a checkpoint that plans them once it is done (common.smk).
    # Not a checkpoint always: then a dry run after a fresh copy of the same archive
    # plans jobs again (tests/test_download.py, the fresh-copy test).
    MAESTRO_DOWNLOAD = dict(
        input={"stamp": provenance("download")},
        output={"corpus": directory(CORPUS), "checked": CORPUS_CHECKED},
        # The source's fingerprint: a changed archive or folder downloads again.
        params={"maestro": canonical(config["maestro"]), "source": SOURCE},
        shell="music-enhance download {output.corpus:q} {output.checked:q} "
        "--maestro {params.maestro:q} --cache-dir results/download > {log:q} 2>&1",
    )

    if PLANNED_AT_START:

        rule download:
            input:
                **MAESTRO_DOWNLOAD["input"],
            output:
                **MAESTRO_DOWNLOAD["output"],
            params:
                **MAESTRO_DOWNLOAD["params"],
            threads: PLAN.threads("download")
            resources:
                **sized("download"),
            log:
                "results/logs/download.log",
            conda:
                "../../envs/music-enhance.yaml"
            shell:
                MAESTRO_DOWNLOAD["shell"]

    else:

        checkpoint download:
            input:
                **MAESTRO_DOWNLOAD["input"],
            output:
                **MAESTRO_DOWNLOAD["output"],
            params:
                **MAESTRO_DOWNLOAD["params"],
            threads: PLAN.threads("download")
            resources:
                **sized("download"),
            log:
                "results/logs/download.log",
            conda:
                "../../envs/music-enhance.yaml"
            shell:
                MAESTRO_DOWNLOAD["shell"]


if config["maestro"]["audio_url"]:

    # Real recordings, for users who want them: not an input of any stage yet, so
    # build it by name: snakemake results/corpus_audio
    rule download_audio:
        output:
            directory("results/corpus_audio"),
        params:
            url=config["maestro"]["audio_url"],
            sha256=config["maestro"]["audio_sha256"] or "",
        log:
            "results/logs/download_audio.log",
        conda:
            "../../envs/music-enhance.yaml"
        shell:
            "music-enhance download-audio {output:q} --url {params.url:q} "
            "--sha256 {params.sha256:q} --cache-dir results/download > {log:q} 2>&1"
