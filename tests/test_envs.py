"""envs/ pins the same Python packages and Python as pyproject.toml."""

import re
import tomllib

import yaml

from conftest import REPO


def pins(requirements) -> dict[str, str]:
    out = {}
    for req in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", req.strip())
        if match:
            out[match[1].lower().replace("_", "-")] = match[2]
    return out


def test_conda_env_pins_match_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    expected = pins(project["dependencies"])
    assert len(expected) == len(project["dependencies"]), "every dependency is pinned with =="
    envs = sorted((REPO / "envs").glob("*.yaml"))
    assert envs
    for env_file in envs:
        env = yaml.safe_load(env_file.read_text())
        deps = env["dependencies"]
        pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
        assert pins(pip) == expected, env_file.name
        assert "python=3.11" in deps, env_file.name
        assert {"conda-forge"} <= set(env["channels"])
        assert any(str(d).startswith("sox") for d in deps)
        assert any(str(d).startswith("fluidsynth") for d in deps)


def test_every_rule_names_the_env():
    for rule_file in (REPO / "workflow/rules").glob("*.smk"):
        text = rule_file.read_text()
        n_rules = len(re.findall(r"^\s*(rule|checkpoint)( \w+)?:", text, re.M))
        assert text.count('"../../envs/music-enhance.yaml"') == n_rules, rule_file.name
