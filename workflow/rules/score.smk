# score: the metrics per test piece for every system (experiments and baselines),
# then one summary table; baseline: the classical methods a task's chain calls for.


rule baseline:
    input:
        lambda wildcards: task_input_path(wildcards.task, wildcards.piece),
    output:
        "results/baselines/{task}/{method}/{piece}.flac",
    params:
        low_rate=lambda wildcards: low_rate_of(wildcards.task),
        code=code_version("baseline"),
    log:
        "results/logs/baseline/{task}/{method}/{piece}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance baseline {input:q} {output:q} --method {wildcards.method:q} "
        "--low-rate {params.low_rate} > {log:q} 2>&1"


rule score:
    input:
        unpack(score_inputs),
        manifest="results/manifest.csv",
    output:
        report(
            "results/scores/{system}.csv",
            caption="../report/scores.rst",
            category="Scores per piece",
        ),
    params:
        task=lambda wildcards: system_task(wildcards.system),
        estimate_pattern=lambda wildcards: system_estimate_path(wildcards.system),
        target_pattern=lambda wildcards: task_target_path(system_task(wildcards.system)),
        low_hz=low_hz_option,
        code=code_version("score"),
    log:
        "results/logs/score/{system}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance score {output:q} --system {wildcards.system:q} --task {params.task:q} "
        "--manifest {input.manifest:q} --split test "
        "--estimate-pattern {params.estimate_pattern:q} "
        "--target-pattern {params.target_pattern:q} {params.low_hz} > {log:q} 2>&1"


rule summarise:
    input:
        expand("results/scores/{system}.csv", system=SYSTEMS),
    output:
        report(
            "results/scores/summary.csv",
            caption="../report/summary.rst",
            category="Scores",
        ),
    log:
        "results/logs/score/summary.log",
    conda:
        "../../envs/music-enhance.yaml"
    params:
        seed=config["seed"],
        code=code_version("score"),
    shell:
        "music-enhance summarise {output:q} {input:q} --seed {params.seed} > {log:q} 2>&1"
