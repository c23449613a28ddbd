# report: figures for `snakemake --report` (spectrograms of the first test piece
# and training curves); the summary table is marked for the report in score.smk.


rule report:
    input:
        audio=report_audio,
        metrics="results/train/{experiment}/metrics.csv",
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
    params:
        code=code_version("report"),
    log:
        "results/logs/report/{experiment}.log",
    conda:
        "../../envs/music-enhance.yaml"
    shell:
        "music-enhance report {output.spectrogram} {output.curves} --audio {input.audio} "
        "--metrics {input.metrics} --title {wildcards.experiment} > {log} 2>&1"
