# render: one MIDI piece -> one mono FLAC per instrument and sample rate.


rule render:
    input:
        # The MIDI file lies inside the corpus folder, the download rule's output.
        corpus="results/corpus",
    output:
        "results/render/{instrument}/{rate}/{piece}.flac",
    params:
        midi=midi_of,
        instrument=instrument_spec,
        code=code_version("render"),
    # Per-piece jobs take about a second: on a cluster, the profile bundles many
    # of them into one job (group-components: pieces=N).
    group:
        "pieces"
    log:
        "results/logs/render/{instrument}/{rate}/{piece}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance render {params.midi:q} {output:q} --instrument {params.instrument:q} "
        "--rate {wildcards.rate:q} > {log:q} 2>&1"
