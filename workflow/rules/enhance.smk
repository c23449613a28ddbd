# enhance: a trained generator applied to a batch of whole test pieces (overlap-add);
# the JSON beside each output holds the timing. enhance_collab: the same generator
# with collaborative sampling (its options from the plan), scored as the system
# "<experiment>.collab".

for _rule, _template in (("enhance", ENHANCE), ("enhance_collab", COLLAB)):

    rule:
        name:
            _rule
        input:
            stamp=provenance(_rule),
            records=job(_rule, "records"),
            checkpoint=job(_rule, "checkpoint"),
        output:
            record_of(_template),
        params:
            inputs=job(_rule, "inputs"),
            outputs=job(_rule, "outputs"),
            infos=job(_rule, "infos"),
            options=job(_rule, "options"),
        threads: PLAN.threads(_rule)
        resources:
            **sized(_rule),
        log:
            f"results/logs/{_rule}/{{experiment}}/{{batch}}.log",
        conda:
            "../../envs/music-enhance.yaml"
        shell:
            "music-enhance enhance --inputs {params.inputs:q} --outputs {params.outputs:q} "
            "--infos {params.infos:q} --checkpoint {input.checkpoint:q} --threads {threads} "
            "{params.options:q} --record {output:q} > {log:q} 2>&1"
