# render: a batch of MIDI pieces -> one mono FLAC each, per instrument and sample rate.


rule render:
    input:
        # The MIDI files lie inside the corpus folder, the download rule's output.
        corpus=CORPUS,
    output:
        record_of(RENDER),
    params:
        midi=job("render", "midi"),
        outputs=job("render", "outputs"),
        instrument=job("render", "instrument"),
        code=code_version("render"),
    log:
        "results/logs/render/{instrument}/{rate}/{batch}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance render --midi {params.midi:q} --outputs {params.outputs:q} "
        "--instrument {params.instrument:q} --rate {wildcards.rate:q} --record {output:q} "
        "> {log:q} 2>&1"
