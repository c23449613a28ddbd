# degrade: a named chain applied to a batch of renders; the values drawn go next to
# each degraded file.


rule degrade:
    input:
        stamp=provenance("degrade"),
        records=job("degrade", "records"),
    output:
        record_of(DEGRADE),
    params:
        pieces=job("degrade", "pieces"),
        inputs=job("degrade", "inputs"),
        outputs=job("degrade", "outputs"),
        values=job("degrade", "values"),
        chain=job("degrade", "chain"),
        seed=config["seed"],
        options=job("degrade", "options"),
    threads: PLAN.threads("degrade")
    resources:
        **sized("degrade"),
    log:
        "results/logs/degrade/{chain}/{instrument}/{rate}/{batch}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance degrade --pieces {params.pieces:q} --inputs {params.inputs:q} "
        "--outputs {params.outputs:q} --values {params.values:q} "
        "--chain-name {wildcards.chain:q} --chain {params.chain:q} --seed {params.seed} "
        "{params.options:q} --record {output:q} > {log:q} 2>&1"
