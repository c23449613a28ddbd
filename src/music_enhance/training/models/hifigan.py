"""The discriminators of the HiFi-GAN recipe for speech enhancement (Su et al. 2020).

  multiscale   three waveform discriminators (MelGAN / HiFi-GAN): one at the sample
               rate, one at half and one at a quarter of it (average-pooled input),
               the same architecture with their own weights: a wide convolution,
               strided grouped convolutions, two narrow ones, LeakyReLU 0.2
  spectrogram  a 2-D convolutional discriminator on the log-magnitude spectrogram,
               so artefacts that are plain in frequency are judged there

Each returns, for a batch of candidates (B, 1, L), a list of logit maps (one per
sub-discriminator) and the list of every intermediate feature map, for feature
matching. They see the candidate only (not the degraded input).
"""

import torch
from torch import nn
from torch.nn import functional as F

SLOPE = 0.2


class WaveformDiscriminator(nn.Module):
    def __init__(self, channels=(16, 64, 256), kernel: int = 41, stride: int = 4):
        super().__init__()
        layers = [nn.Conv1d(1, channels[0], 15, padding=7)]
        for c_in, c_out in zip(channels, channels[1:], strict=False):
            groups = max(1, c_in // 4)
            if c_out % groups:
                raise ValueError(f"discriminator.channels: {c_out} is not a multiple of the "
                                 f"{groups} groups of the layer before it")
            layers.append(nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2,
                                    groups=groups))
        layers.append(nn.Conv1d(channels[-1], channels[-1], 5, padding=2))
        self.layers = nn.ModuleList(layers)
        self.out = nn.Conv1d(channels[-1], 1, 3, padding=1)

    def forward(self, x):
        features = []
        for layer in self.layers:
            x = F.leaky_relu(layer(x), SLOPE)
            features.append(x)
        return self.out(x), features


class MultiScaleDiscriminator(nn.Module):
    def __init__(self, channels=(16, 64, 256), scales: int = 3, **kwargs):
        super().__init__()
        self.discriminators = nn.ModuleList(WaveformDiscriminator(channels, **kwargs)
                                            for _ in range(scales))
        self.pool = nn.AvgPool1d(4, stride=2, padding=1, count_include_pad=False)

    def forward(self, candidate, degraded=None):
        logits, features = [], []
        for i, discriminator in enumerate(self.discriminators):
            if i:
                candidate = self.pool(candidate)
            logit, feats = discriminator(candidate)
            logits.append(logit)
            features += feats
        return logits, features


class SpectrogramDiscriminator(nn.Module):
    def __init__(self, channels=(16, 32, 64), n_fft: int = 1024, hop: int = 256):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        layers, c_in = [], 1
        for c_out in channels:
            # Strided along frequency only: time resolution is already a hop.
            layers.append(nn.Conv2d(c_in, c_out, (9, 3), stride=(2, 1), padding=(4, 1)))
            c_in = c_out
        self.layers = nn.ModuleList(layers)
        self.out = nn.Conv2d(c_in, 1, 3, padding=1)

    def forward(self, candidate, degraded=None):
        n_fft = min(self.n_fft, candidate.shape[-1])
        window = torch.hann_window(n_fft, device=candidate.device)
        spectrum = torch.stft(candidate.squeeze(1).float(), n_fft, min(self.hop, n_fft // 4),
                              window=window, center=False, return_complex=True)
        x = torch.log10(spectrum.abs() + 1e-5).unsqueeze(1)  # (B, 1, bins, frames)
        features = []
        for layer in self.layers:
            x = F.leaky_relu(layer(x), SLOPE)
            features.append(x)
        return [self.out(x)], features
