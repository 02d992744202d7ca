#!/usr/bin/env bash
# npm run setup:vulkan — a software Vulkan device for the webgpu backend's tests on machines without a GPU (Debian 12):
# libvulkan1 and Mesa >= 25 lavapipe from bookworm-backports (Debian 12's own lavapipe 22.3 lacks a feature Dawn
# requires). Backports come in through a sources file of their own; apt's default priority for backports (100) keeps
# every other package on bookworm. Idempotent (about 1 s once installed, about 30 s the first time); waits for the
# dpkg lock. Machines with a GPU and its Vulkan driver need none of this.
set -euo pipefail
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
SRC=/etc/apt/sources.list.d/vae-lab-bookworm-backports.sources
export DEBIAN_FRONTEND=noninteractive

have_lavapipe() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25 &&
    dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q 'install ok installed' &&
    ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1
}

if have_lavapipe; then
  echo "setup-vulkan: lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) is installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-vulkan: needs root (apt-get); run it as root or with sudo" >&2
  exit 1
fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
  echo "setup-vulkan: written for Debian 12 (bookworm), this is ${PRETTY_NAME:-unknown}; install Mesa >= 25 lavapipe (mesa-vulkan-drivers) and libvulkan1 from your distribution" >&2
  exit 1
fi
if [ ! -f "$SRC" ]; then
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' >"$SRC"
fi
"${APT[@]}" update
"${APT[@]}" install --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1
if ! have_lavapipe; then
  echo "setup-vulkan: Mesa >= 25 lavapipe did not install" >&2
  exit 1
fi
echo "setup-vulkan: installed lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
