# report: what `snakemake --report` shows: per experiment the spectrograms of two
# test pieces (input, target, baselines, output), training curves and audio
# excerpts; per task every model side by side on one piece; the score table with
# the best per column marked; the config used.


rule report:
    input:
        stamp=provenance("report"),
        audio=job("report", "records"),
        metrics=METRICS,
    output:
        spectrogram=report(
            "results/report/{experiment}/spectrogram.png",
            caption="../report/spectrogram.rst",
            category="Spectrograms",
            subcategory="{experiment}",
        ),
        curves=report(
            "results/report/{experiment}/curves.png",
            caption="../report/curves.rst",
            category="Training",
            subcategory="{experiment}",
        ),
        excerpts=report(
            "results/report/{experiment}/excerpts.html",
            caption="../report/excerpts.rst",
            category="Audio",
            subcategory="{experiment}",
        ),
    params:
        pieces=job("report", "pieces"),
    threads: PLAN.threads("report")
    resources:
        **sized("report"),
    log:
        "results/logs/report/{experiment}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance report $(dirname {output.spectrogram:q}) --pieces {params.pieces:q} "
        "--metrics {input.metrics:q} --title {wildcards.experiment:q} > {log:q} 2>&1"


rule compare:
    input:
        stamp=provenance("compare"),
        audio=job("compare", "records"),
    output:
        report(
            COMPARE,
            caption="../report/compare.rst",
            category="Spectrograms",
            subcategory="every model",
        ),
    params:
        files=job("compare", "files"),
    threads: PLAN.threads("compare")
    resources:
        **sized("compare"),
    log:
        "results/logs/report/compare/{task}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance compare {output:q} --files {params.files:q} --title {wildcards.task:q} "
        "> {log:q} 2>&1"


rule report_tables:
    input:
        stamp=provenance("report_tables"),
        summary=SUMMARY,
    output:
        summary=report(
            "results/report/summary.html",
            caption="../report/summary.rst",
            category="Scores",
        ),
        config=report(
            "results/report/config.html",
            caption="../report/config.rst",
            category="Configuration",
        ),
    params:
        config=canonical(config),
    threads: PLAN.threads("report_tables")
    resources:
        **sized("report_tables"),
    log:
        "results/logs/report/tables.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance report-tables {input.summary:q} {output.summary:q} {output.config:q} "
        "--config {params.config:q} > {log:q} 2>&1"
