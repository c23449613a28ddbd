# render: one MIDI piece -> one mono FLAC per instrument and sample rate.


def midi_of(wildcards):
    return MANIFEST.set_index("id").loc[wildcards.piece, "midi"]


def instrument_spec(wildcards):
    """The instrument's render settings, defaults from the render block filled in."""
    spec = {**config["render"], **config["instruments"][wildcards.instrument]}
    return canonical({"name": wildcards.instrument, **spec})


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
    log:
        "results/logs/render/{instrument}/{rate}/{piece}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance render {params.midi} {output} --instrument {params.instrument:q} "
        "--rate {wildcards.rate} > {log} 2>&1"
