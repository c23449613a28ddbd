# manifest: the table of pieces used (the same table common.smk plans the jobs from).


rule manifest:
    input:
        "results/corpus",
    output:
        csv="results/manifest.csv",
    params:
        filters=canonical(config["manifest"]),
        code=code_version("manifest"),
    log:
        "results/logs/manifest.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance manifest {input} {output.csv} --filters {params.filters:q} > {log} 2>&1"
