#!/usr/bin/env bash
# Install the Debian packages the pipeline's tools need, when any is missing.
# As root this runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

# csound-soundfont (sf_GMbank.sf2, 4 MB) is the third training SoundFont of the
# 5 kHz runs in config/experiments/reports-sweeps.yaml.
packages=(sox libsox-fmt-all fluidsynth libfluidsynth3 fluid-soundfont-gm timgm6mb-soundfont
          musescore-general-soundfont-small csound-soundfont)
missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null; then
    echo "error: missing system packages ${missing[*]}, and no apt-get to install them" >&2
    exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "error: missing system packages. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing system packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
