# render: a batch of MIDI pieces -> one mono FLAC each, per instrument and sample rate.


rule render:
    input:
        stamp=provenance("render"),
        # The MIDI files: inside the corpus folder (the download rule's output), or
        # read in place from a local source (maestro.path), checked at start-up, their
        # digests in the provenance record, so that no other file reruns this batch.
        **({} if FROM_SOURCE else {"corpus": CORPUS}),
    output:
        record_of(RENDER),
    params:
        midi=job("render", "midi"),
        outputs=job("render", "outputs"),
        instrument=job("render", "instrument"),
        options=job("render", "options"),
    threads: PLAN.threads("render")
    resources:
        **sized("render"),
    log:
        "results/logs/render/{instrument}/{rate}/{batch}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance render --midi {params.midi:q} --outputs {params.outputs:q} "
        "--instrument {params.instrument:q} --name {wildcards.instrument:q} "
        "--rate {wildcards.rate:q} {params.options:q} "
        "--record {output:q} "
        "> {log:q} 2>&1"
