#!/usr/bin/env bash
# The real Fashion-MNIST files for test/unit/datasets.test.ts: Debian's package dataset-fashion-mnist
# (/usr/share/datasets/fashion-mnist/*.gz, the upstream files with their gzip headers normalised). Installs it with
# apt-get when missing; nothing to do once installed. Needs root (or sudo) and Debian's package mirror.
set -euo pipefail
dir=/usr/share/datasets/fashion-mnist
files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
have() { for f in "${files[@]}"; do [ -s "$dir/$f" ] || return 1; done; }
if have; then echo "dataset-fashion-mnist: installed ($dir)"; exit 0; fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else echo "setup-datasets: dataset-fashion-mnist is not installed and installing it needs root" >&2; exit 1; fi
fi
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq dataset-fashion-mnist >/dev/null
have || { echo "setup-datasets: dataset-fashion-mnist installed but $dir lacks its four .gz files" >&2; exit 1; }
echo "dataset-fashion-mnist: installed ($dir)"
