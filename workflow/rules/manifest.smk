# manifest: the table of pieces used (the same table common.smk plans the jobs from).


rule manifest:
    input:
        stamp=provenance("manifest"),
        corpus=CORPUS,
        checked=CORPUS_CHECKED,
    output:
        csv=MANIFEST,
        skipped="results/skipped.csv",
    params:
        filters=canonical(config["manifest"]),
        on_bad_midi=config["on_bad_midi"],
    threads: PLAN.threads("manifest")
    resources:
        **sized("manifest"),
    log:
        "results/logs/manifest.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance manifest {input.corpus:q} {input.checked:q} {output.csv:q} "
        "--skipped {output.skipped:q} "
        "--filters {params.filters:q} --on-bad-midi {params.on_bad_midi} > {log:q} 2>&1"
