# score: the metrics per test piece for every system (experiments and baselines),
# then one summary table; baseline: the classical methods a task's chain calls for.


rule baseline:
    input:
        stamp=provenance("baseline"),
        records=job("baseline", "records"),
    output:
        record_of(BASELINE),
    params:
        inputs=job("baseline", "inputs"),
        outputs=job("baseline", "outputs"),
        low_rate=job("baseline", "low_rate"),
    threads: PLAN.threads("baseline")
    resources:
        **sized("baseline"),
    log:
        "results/logs/baseline/{task}/{method}/{batch}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance baseline --inputs {params.inputs:q} --outputs {params.outputs:q} "
        "--method {wildcards.method:q} --low-rate {params.low_rate} --record {output:q} "
        "> {log:q} 2>&1"


rule score:
    input:
        stamp=provenance("score"),
        records=job("score", "records"),
    output:
        report(
            "results/scores/{system}.csv",
            caption="../report/scores.rst",
            category="Scores per piece",
        ),
    params:
        task=job("score", "task"),
        pieces=job("score", "pieces"),
        estimates=job("score", "estimates"),
        targets=job("score", "targets"),
        options=job("score", "options"),
    threads: PLAN.threads("score")
    resources:
        **sized("score"),
    log:
        "results/logs/score/{system}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance score {output:q} --system {wildcards.system:q} --task {params.task:q} "
        "--pieces {params.pieces:q} --estimates {params.estimates:q} "
        "--targets {params.targets:q} {params.options:q} > {log:q} 2>&1"


rule summarise:
    input:
        stamp=provenance("summarise"),
        scores=expand("results/scores/{system}.csv", system=PLAN.systems),
    output:
        report(
            "results/scores/summary.csv",
            caption="../report/summary.rst",
            category="Scores",
        ),
    threads: PLAN.threads("summarise")
    resources:
        **sized("summarise"),
    log:
        "results/logs/score/summary.log",
    conda:
        "../../envs/music-enhance.yaml"
    params:
        seed=config["seed"],
    shell:
        "music-enhance summarise {output:q} {input.scores:q} --seed {params.seed} > {log:q} 2>&1"
