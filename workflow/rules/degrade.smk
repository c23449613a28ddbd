# degrade: a named chain applied to a render; the values drawn go next to it.


rule degrade:
    input:
        render_path("{instrument}", "{rate}", "{piece}"),
    output:
        audio="results/degrade/{chain}/{instrument}/{rate}/{piece}.flac",
        values="results/degrade/{chain}/{instrument}/{rate}/{piece}.json",
    params:
        chain=lambda wildcards: canonical(config["chains"][wildcards.chain]),
        seed=config["seed"],
        max_clipped=config.get("degrade", {}).get("max_clipped", 0.001),
        code=code_version("degrade"),
    # Per-piece jobs take about a second: on a cluster, the profile bundles many
    # of them into one job (group-components: pieces=N).
    group:
        "pieces"
    log:
        "results/logs/degrade/{chain}/{instrument}/{rate}/{piece}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance degrade {input:q} {output.audio:q} {output.values:q} "
        "--chain-name {wildcards.chain:q} --chain {params.chain:q} --seed {params.seed} "
        "--piece {wildcards.piece:q} --max-clipped {params.max_clipped} > {log:q} 2>&1"
