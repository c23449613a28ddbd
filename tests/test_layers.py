"""The package's subpackages name its architecture, and imports flow one way: a
module imports only from its own layer or those below it."""

from music_enhance.core.config import PACKAGE_DIR, package_imports

LAYERS = ["core", "data", "training", "evaluation", "pipeline"]


def layer(module: str) -> int:
    """A dotted module name's layer; the CLI (and the package's own __init__) on top."""
    top = module.split(".")[0]
    return LAYERS.index(top) if top in LAYERS else len(LAYERS)


def modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [n for n in names if n]


def test_every_module_lives_in_a_layer_but_the_cli():
    assert {m for m in modules() if layer(m) == len(LAYERS)} == {"cli"}
    assert {m.split(".")[0] for m in modules()} == {*LAYERS, "cli"}


def test_imports_never_run_up_a_layer():
    upward = [(m, i) for m in modules() for i in package_imports(m) if layer(i) > layer(m)]
    assert upward == []
    # The check sees imports at all (those inside functions too).
    assert "data.render" in package_imports("pipeline.plan")
    assert "core.batch" in package_imports("cli")
