import numpy as np
import pytest
import soundfile as sf
import torch

from music_enhance.core.audio import read_mono, write_audio
from music_enhance.evaluation.enhance import enhance, merge_windows
from music_enhance.training.checkpoint import save_checkpoint
from music_enhance.training.models import build_model


class Identity(torch.nn.Module):
    def forward(self, x):
        return x


@pytest.mark.parametrize("merge", ["ola", "crop"])
@pytest.mark.parametrize("length", [1, 100, 511, 512, 1024, 1500, 4096, 10001])
def test_identity_model_returns_the_input_at_any_length(length, merge, rng):
    audio = rng.uniform(-1, 1, length).astype(np.float32)
    out = merge_windows(Identity(), audio, window=512, batch_size=3, merge=merge)
    assert out.shape == audio.shape
    np.testing.assert_allclose(out, audio, atol=1e-6)


@pytest.mark.parametrize("merge", ["ola", "crop"])
def test_no_seams_between_windows(merge):
    # A model that adds a constant: any seam or fade would show as a ripple.
    class AddOne(torch.nn.Module):
        def forward(self, x):
            return x + 1

    audio = np.zeros(5000, dtype=np.float32)
    np.testing.assert_allclose(merge_windows(AddOne(), audio, 256, merge=merge), 1.0,
                               atol=1e-6)


@pytest.fixture
def identity_checkpoint(tmp_path):
    spec = {"model": {"name": "unet", "channels": [4, 8], "kernels": [9, 9]}}
    model = build_model(spec["model"])
    for p in model.final.parameters():
        torch.nn.init.zeros_(p)  # with the input skip the U-Net is now the identity
    save_checkpoint(tmp_path / "g.pt", model, spec, {"sample_rate": 16000, "window": 256}, 1,
                    "zero")
    return tmp_path / "g.pt"


def test_enhance_file_at_the_model_rate(tmp_path, rng, identity_checkpoint):
    audio = (0.3 * rng.standard_normal(3000)).astype(np.float32)
    write_audio(tmp_path / "in.flac", audio, 16000)
    info = enhance(tmp_path / "in.flac", tmp_path / "out.flac", identity_checkpoint)
    out, rate = read_mono(tmp_path / "out.flac")
    source, _ = read_mono(tmp_path / "in.flac")
    assert info["samples"] == 3000 and rate == 16000 and info["channels"] == 1
    np.testing.assert_allclose(out, source, atol=2 ** -23)


def test_enhance_stereo_file_at_another_rate(tmp_path, identity_checkpoint):
    rate = 44100
    t = np.arange(rate) / rate
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)],
                      axis=1).astype(np.float32)
    sf.write(tmp_path / "in.wav", stereo, rate)
    info = enhance(tmp_path / "in.wav", tmp_path / "out.wav", identity_checkpoint)
    out, out_rate = sf.read(tmp_path / "out.wav", dtype="float32")
    assert out_rate == rate and out.shape == stereo.shape and info["channels"] == 2
    # Through 16 kHz and back: tones below 8 kHz survive, channels stay apart.
    inner = slice(2000, -2000)
    for channel in range(2):
        error = out[inner, channel] - stereo[inner, channel]
        assert np.sqrt(np.mean(error ** 2)) < 1e-3
    assert sf.info(tmp_path / "out.wav").format == "WAV"


def test_wrong_files_are_clear_errors(tmp_path, identity_checkpoint):
    (tmp_path / "x.flac").write_bytes(b"nope")
    with pytest.raises(ValueError, match="x.flac: cannot read audio"):
        enhance(tmp_path / "x.flac", tmp_path / "o.flac", identity_checkpoint)
    write_audio(tmp_path / "ok.flac", np.zeros(100, np.float32), 16000)
    with pytest.raises(ValueError, match="missing.pt: no checkpoint file there"):
        enhance(tmp_path / "ok.flac", tmp_path / "o.flac", tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="enhance.merge: unknown merge 'blend'"):
        merge_windows(Identity(), np.zeros(10, np.float32), 256, merge="blend")


def test_empty_or_non_finite_input_is_an_error_leaving_nothing(tmp_path, identity_checkpoint):
    sf.write(tmp_path / "empty.wav", np.zeros((0, 1), np.float32), 16000, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"empty.wav: audio is empty \(0 samples\)"):
        enhance(tmp_path / "empty.wav", tmp_path / "o.flac", identity_checkpoint)
    audio = np.zeros((16000, 2), np.float32)
    audio[12000, 1] = np.nan
    audio[13000, 0] = np.inf
    sf.write(tmp_path / "nan.wav", audio, 16000, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"nan.wav: non-finite sample \(nan\) at 0.750000 s "
                                         r"\(sample 12000, channel 1\)"):
        enhance(tmp_path / "nan.wav", tmp_path / "o.flac", identity_checkpoint)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.wav", "g.pt", "nan.wav"]


def test_a_failed_write_leaves_no_part_file(tmp_path):
    with pytest.raises(AssertionError):  # what soundfile raises for NaN in FLAC
        write_audio(tmp_path / "o.flac", np.full(100, np.nan, np.float32), 16000)
    assert list(tmp_path.iterdir()) == []


def test_the_band_above_the_models_is_kept_at_its_level(tmp_path, identity_checkpoint):
    """A 44.1 kHz file through a 16 kHz model keeps its content above 8 kHz: a tone at
    15 kHz comes out at its level, and an identity model returns the input."""
    rate = 44100
    t = np.arange(2 * rate) / rate
    audio = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 15000 * t))
    sf.write(tmp_path / "in.wav", audio.astype(np.float32), rate, subtype="FLOAT")
    enhance(tmp_path / "in.wav", tmp_path / "out.wav", identity_checkpoint)
    out, _ = sf.read(tmp_path / "out.wav", dtype="float64")
    inner = slice(rate // 2, -rate // 2)
    spectrum = np.abs(np.fft.rfft(out[inner])) * 2 / len(out[inner])
    freqs = np.fft.rfftfreq(len(out[inner]), 1 / rate)
    assert 20 * np.log10(spectrum[np.argmin(np.abs(freqs - 15000))] / 0.1) == pytest.approx(
        0, abs=0.1)
    assert np.sqrt(np.mean((out - audio) ** 2)) < 1e-4  # no seam at the crossover


def test_outputs_are_checked_before_any_file_is_written(tmp_path, identity_checkpoint,
                                                        capsys):
    from music_enhance.cli import main
    write_audio(tmp_path / "in.wav", np.zeros(1000, np.float32), 16000)
    for out, message in [("o.mp3", "o.mp3: the format follows the extension, one of "
                                    ".wav, .flac"),
                         (str(tmp_path), "is a directory; name the output file"),
                         (str(tmp_path / "in.wav"), "in.wav: is the input")]:
        args = ["enhance", "--inputs", str(tmp_path / "in.wav"), "--outputs", out,
                "--checkpoint", str(identity_checkpoint)]
        assert main(args) == 1
        err = capsys.readouterr().err
        assert f"music-enhance enhance: error: --outputs: {out}" in err and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.pt", "in.wav"]
    with pytest.raises(ValueError, match="in.wav: is the input"):
        enhance(tmp_path / "in.wav", tmp_path / "in.wav", identity_checkpoint)


@pytest.mark.parametrize("name, content, message", [
    ("last.pt", None, "a resume state \\(last.pt\\), not a generator; use generator.pt"),
    ("metrics.csv", b"step,train_loss\n1,0.5\n", "not a generator checkpoint written by "
                                                  "train"),
    ("random.pt", bytes(range(256)) * 4, "not a generator checkpoint written by train"),
    ("empty.pt", b"", "not a generator checkpoint written by train"),
])
def test_a_file_that_is_no_generator_checkpoint_is_one_line(tmp_path, name, content, message):
    from music_enhance.training.checkpoint import atomic_save, load_generator
    if content is None:
        atomic_save({"fingerprint": "f", "step": 1, "trainer": {}}, tmp_path / name)
    else:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=f"{name}: {message}"):
        load_generator(tmp_path / name)


def test_an_input_above_full_scale_is_named_with_its_peak(tmp_path, identity_checkpoint,
                                                          caplog):
    audio = np.zeros(4000, np.float32)
    audio[100] = 2.0
    sf.write(tmp_path / "hot.wav", audio, 16000, subtype="FLOAT")
    with caplog.at_level("WARNING"):
        enhance(tmp_path / "hot.wav", tmp_path / "o.wav", identity_checkpoint, device="cpu")
    assert "hot.wav: peaks at 2, above full scale" in caplog.text


def test_a_device_that_is_not_there_is_refused(tmp_path, identity_checkpoint):
    write_audio(tmp_path / "in.wav", np.zeros(1000, np.float32), 16000)
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is there")
    with pytest.raises(ValueError, match="--device cuda: no CUDA device is available"):
        enhance(tmp_path / "in.wav", tmp_path / "o.wav", identity_checkpoint, device="cuda")


@pytest.mark.parametrize("size, message", [("-1", "-1 is less than the minimum of 1"),
                                           ("0", "0 is less than the minimum of 1")])
def test_a_batch_size_below_one_is_refused(tmp_path, capsys, size, message):
    from music_enhance.cli import main
    with pytest.raises(SystemExit) as exit_:
        main(["enhance", "--inputs", "a.wav", "--outputs", "b.wav", "--checkpoint", "g.pt",
              "--batch-size", size])
    assert exit_.value.code == 2
    assert f"argument --batch-size: {message}" in capsys.readouterr().err


@pytest.fixture
def random_checkpoint(tmp_path):
    """An untrained U-Net without the input skip (with it, it starts as the identity):
    a model whose output depends on where its windows fall."""
    torch.manual_seed(0)
    spec = {"model": {"name": "unet", "channels": [4, 8], "kernels": [9, 9],
                      "input_skip": False}}
    save_checkpoint(tmp_path / "r.pt", build_model(spec["model"]), spec,
                    {"sample_rate": 16000, "window": 256}, 1, "random")
    return tmp_path / "r.pt"


@pytest.mark.parametrize("rate, channels", [(16000, 1), (44100, 2)])
def test_a_long_file_streams_in_blocks_like_the_whole_file(tmp_path, rng, monkeypatch,
                                                           random_checkpoint, rate,
                                                           channels):
    """Blocks cut where the model's samples and windows fall as for the whole file
    give the same bytes (cut anywhere else, samples differ by about 2e-3 here)."""
    import music_enhance.evaluation.enhance as enhancing
    audio = (0.2 * rng.standard_normal((int(2.6 * rate), channels))).astype(np.float32)
    sf.write(tmp_path / "in.wav", audio, rate, subtype="FLOAT")
    whole = enhance(tmp_path / "in.wav", tmp_path / "whole.wav", random_checkpoint)
    monkeypatch.setattr(enhancing, "BLOCK_SECONDS", 0.5)  # five blocks and a bit
    blocks = enhance(tmp_path / "in.wav", tmp_path / "blocks.wav", random_checkpoint)
    a, _ = sf.read(tmp_path / "whole.wav", dtype="float64", always_2d=True)
    b, _ = sf.read(tmp_path / "blocks.wav", dtype="float64", always_2d=True)
    assert a.shape == b.shape == audio.shape and whole["samples"] == blocks["samples"]
    assert np.sqrt(np.mean((a[:, 0] - audio[:, 0]) ** 2)) > 0.05  # not the identity
    np.testing.assert_array_equal(b, a)


def test_a_bad_sample_late_in_a_long_file_names_its_time(tmp_path, monkeypatch,
                                                        identity_checkpoint):
    import music_enhance.evaluation.enhance as enhancing
    audio = np.zeros(48000, np.float32)
    audio[40000] = np.nan
    sf.write(tmp_path / "late.wav", audio, 16000, subtype="FLOAT")
    monkeypatch.setattr(enhancing, "BLOCK_SECONDS", 0.5)
    with pytest.raises(ValueError, match=r"late.wav: non-finite sample \(nan\) at "
                                         r"2.500000 s \(sample 40000, channel 0\)"):
        enhance(tmp_path / "late.wav", tmp_path / "o.wav", identity_checkpoint)
    assert not (tmp_path / "o.wav").exists() and not (tmp_path / ".o.wav.part").exists()


def test_export_keeps_the_generator_alone_and_the_cli_takes_in_and_out(tmp_path, rng):
    from music_enhance.cli import main
    from music_enhance.training.checkpoint import load_generator
    from music_enhance.training.models import build_discriminator
    spec = {"model": {"name": "unet", "channels": [8, 16], "kernels": [9, 9]},
            "discriminator": {"name": "bce", "lr": 1e-4}}
    torch.manual_seed(0)
    model, critic = build_model(spec["model"]), build_discriminator(spec["discriminator"])
    save_checkpoint(tmp_path / "g.pt", model, spec, {"sample_rate": 16000, "window": 256}, 7,
                    "gan", critic, {"valid_lsd": 1.5}, {"metric": "lsd", "mode": "min"})
    assert main(["export", str(tmp_path / "g.pt"), str(tmp_path / "full.pt")]) == 0
    assert main(["export", str(tmp_path / "g.pt"), str(tmp_path / "half.pt"), "--half"]) == 0
    _, exported = load_generator(tmp_path / "full.pt")
    assert exported["discriminator"] is None and "discriminator_state" not in exported
    assert (exported["step"], exported["scores"], exported["selection"]["metric"]) == (
        7, {"valid_lsd": 1.5}, "lsd")
    sizes = {n: (tmp_path / f"{n}.pt").stat().st_size for n in ("g", "full", "half")}
    assert sizes["half"] < 0.6 * sizes["full"] < 0.6 * sizes["g"]
    write_audio(tmp_path / "in.wav", (0.3 * rng.standard_normal(3000)).astype(np.float32),
                16000)
    for name in ("g", "full", "half"):
        assert main(["enhance", "--checkpoint", str(tmp_path / f"{name}.pt"),
                     str(tmp_path / "in.wav"), str(tmp_path / f"{name}.wav")]) == 0
    out = {name: read_mono(tmp_path / f"{name}.wav")[0] for name in ("g", "full", "half")}
    np.testing.assert_array_equal(out["full"], out["g"])
    assert np.abs(out["half"] - out["g"]).max() < 0.05 * np.abs(out["g"]).max()


def test_enhance_wants_one_way_of_naming_files(tmp_path, identity_checkpoint, capsys):
    from music_enhance.cli import main
    write_audio(tmp_path / "in.wav", np.zeros(1000, np.float32), 16000)
    base = ["enhance", "--checkpoint", str(identity_checkpoint)]
    assert main(base) == 1
    assert "no input: give IN OUT, or --inputs and --outputs" in capsys.readouterr().err
    assert main([*base, str(tmp_path / "in.wav")]) == 1
    assert main([*base, "a.wav", "b.wav", "--inputs", "c.wav", "--outputs", "d.wav"]) == 1
    assert capsys.readouterr().err.count("give one input and one output file (IN OUT)") == 2
