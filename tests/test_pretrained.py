"""Every checkpoint shipped in pretrained/ enhances on a fresh clone and does its task.

Each is run the way its model card says (``music-enhance enhance --checkpoint
pretrained/<task>.pt IN OUT``) on 12 s of a real performance rendered with
TimGM6mb, a SoundFont no shipped model trained on, degraded by its task's chain
from config/experiments/reports.yaml (the swap's input: the same performance on
the electric piano); the output must be closer to the clean render than the
input was, by the measure the task is about.
"""

import subprocess
import sys
import zipfile

import numpy as np
import pretty_midi
import pytest
import yaml

from conftest import REPO, SMALL_SOUNDFONT
from music_enhance.core.audio import read_mono, write_audio
from music_enhance.core.metrics import lsd, snr
from music_enhance.data.degrade import apply_chain
from music_enhance.data.render import gm_program, render_midi
from music_enhance.training.checkpoint import load_generator

MINI = REPO.parent / "shared" / "data" / "maestro-mini" / "maestro-v3.0.0-midi.zip"
PRETRAINED = sorted((REPO / "pretrained").glob("*.pt"))
CARDS = REPO / "docs" / "pretrained.md"
REPORTS = yaml.safe_load((REPO / "config" / "experiments" / "reports.yaml").read_text())
FLUIDR3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
# Per shipped checkpoint: the chain that makes its input, its instruments, and the
# SoundFont that renders them.
TASKS = {"denoise": ("room_noise", "acoustic_grand_piano", "acoustic_grand_piano",
                     SMALL_SOUNDFONT),
         "sr5": ("lowres_5k", "acoustic_grand_piano", "acoustic_grand_piano", SMALL_SOUNDFONT),
         "sr5-wavenet": ("lowres_5k", "acoustic_grand_piano", "acoustic_grand_piano",
                         SMALL_SOUNDFONT),
         "sr22": ("lowres_11k", "acoustic_grand_piano", "acoustic_grand_piano", FLUIDR3),
         "swap": (None, "electric_piano_1", "acoustic_grand_piano", SMALL_SOUNDFONT)}
# Super-resolution checkpoints: (least LSD gain above the cut-off, most SNR cost).
# sr5 and sr5-wavenet: the goal's 0.5 dB. sr22: its card (FluidR3_GM) has LSD there from 3.87 to
# 1.33 and SNR 1.25 dB under the input (here LSD 3.80 to 1.31, SNR 25.2 to 23.8 dB).
SUPER_RESOLUTION = {"sr5": (0.5, 0.5), "sr5-wavenet": (0.5, 0.5), "sr22": (1.0, 2.0)}

pytestmark = pytest.mark.skipif(not MINI.is_file(), reason=f"{MINI} absent")


def test_every_shipped_checkpoint_is_small_and_has_a_model_card():
    assert PRETRAINED, "no checkpoint in pretrained/"
    cards = CARDS.read_text()
    for path in PRETRAINED:
        assert path.stat().st_size < 5e6, path
        assert path.stem in TASKS, f"{path}: no check for its task in this test"
        assert f"`pretrained/{path.name}`" in cards, f"{path}: no model card in {CARDS}"
        _, checkpoint = load_generator(path)
        assert checkpoint["experiment"] in cards and not checkpoint["discriminator"]


def performance(rate: int, program: str, soundfont: str, seconds: float = 12.0) -> np.ndarray:
    with zipfile.ZipFile(MINI) as zf:
        name = sorted(n for n in zf.namelist() if n.endswith(".midi"))[0]
        midi = pretty_midi.PrettyMIDI(zf.open(name))
    for instrument in midi.instruments:
        instrument.notes = [n for n in instrument.notes if n.end < seconds]
        instrument.control_changes = [c for c in instrument.control_changes
                                      if c.time < seconds]
    audio = render_midi(midi, gm_program(program, program), soundfont, rate, gain=0.4,
                        tail=0.0)
    return audio[:round(seconds * rate)]


@pytest.mark.parametrize("path", PRETRAINED, ids=[p.stem for p in PRETRAINED])
def test_a_shipped_checkpoint_does_its_task(path, tmp_path):
    chain, source, target, soundfont = TASKS[path.stem]
    rate = load_generator(path)[1]["sample_rate"]
    clean = performance(rate, target, soundfont)
    degraded = performance(rate, source, soundfont)
    if chain:
        degraded, _ = apply_chain(degraded, rate, REPORTS["chains"][chain], seed=7)
    write_audio(tmp_path / "in.wav", degraded, rate)
    subprocess.run([sys.executable, "-m", "music_enhance.cli", "enhance", "--checkpoint",
                    str(path), str(tmp_path / "in.wav"), str(tmp_path / "out.wav")],
                   check=True, cwd=tmp_path)
    out, out_rate = read_mono(tmp_path / "out.wav")
    assert out_rate == rate and len(out) == len(degraded)
    if path.stem == "denoise":
        # Noise and a room's tail taken away: the SNR up (its card: about 1 dB), the
        # spectra much closer.
        assert snr(clean, out) > snr(clean, degraded) + 0.5
        assert lsd(clean, out) < lsd(clean, degraded)
    if path.stem in SUPER_RESOLUTION:
        # The band above the cut-off filled in by at least this much LSD, at no more
        # than this much SNR under the input.
        lsd_gain, snr_cost = SUPER_RESOLUTION[path.stem]
        cutoff = REPORTS["chains"][chain][0]["low_rate"] / 2
        assert lsd(clean, out, cutoff, rate) < lsd(clean, degraded, cutoff, rate) - lsd_gain
        assert snr(clean, out) > snr(clean, degraded) - snr_cost
    if path.stem == "swap":
        # The electric piano's waveform turned toward the acoustic piano's (its card:
        # -7.4 to 1.3 dB of SNR on TimGM6mb), its spectra no farther from the piano's
        # than the electric piano's (its card: LSD 1.89 against 1.84 on TimGM6mb,
        # whose two instruments are close).
        assert snr(clean, out) > snr(clean, degraded) + 5
        assert lsd(clean, out) < lsd(clean, degraded) + 0.1
