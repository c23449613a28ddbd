# score: SNR and LSD per test piece for every system, then one summary table.


rule score:
    input:
        unpack(score_inputs),
        manifest="results/manifest.csv",
    output:
        "results/scores/{system}.csv",
    params:
        task=lambda wildcards: system_task(wildcards.system),
        estimate_pattern=lambda wildcards: system_estimate_path(wildcards.system),
        target_pattern=lambda wildcards: task_target_path(system_task(wildcards.system)),
        code=code_version("score"),
    log:
        "results/logs/score/{system}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance score {output} --system {wildcards.system} --task {params.task} "
        "--manifest {input.manifest} --split test "
        "--estimate-pattern {params.estimate_pattern:q} "
        "--target-pattern {params.target_pattern:q} > {log} 2>&1"


rule summarise:
    input:
        expand("results/scores/{system}.csv", system=SYSTEMS),
    output:
        report(
            "results/scores/summary.csv",
            caption="../report/summary.rst",
            category="Scores",
        ),
    params:
        code=code_version("score"),
    log:
        "results/logs/score/summary.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance summarise {output} {input} > {log} 2>&1"
