#!/usr/bin/env bash
# Install the Debian packages Sabor's tests and tools need, only those missing:
#   chromium + chromium-driver (browser tests), prometheus (promtool and the server for the
#   integration test), poppler-utils (pdftoppm renders the PDF report in a test). Idempotent and quiet: when everything is present it does nothing and never
#   touches the network; otherwise it runs `apt-get update` once and installs the missing ones.
# Runs as root (CI, containers) or through sudo when available. Override the list with
# SABOR_SYSTEM_PACKAGES="pkg1 pkg2".
set -euo pipefail

packages=(${SABOR_SYSTEM_PACKAGES:-chromium chromium-driver prometheus poppler-utils})

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

missing=()
for p in "${packages[@]}"; do
    is_installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install_system_deps: faltan ${missing[*]} y no hay permisos de root (ejecute como root)." >&2
    exit 1
fi

echo "install_system_deps: instalando ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-q -y -o Dpkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Output is kept and shown only if apt fails (quiet on success).
if ! { "${SUDO[@]}" apt-get "${apt_opts[@]}" update \
       && "${SUDO[@]}" apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "install_system_deps: apt-get falló instalando ${missing[*]}" >&2
    exit 1
fi

# Debian's prometheus package enables a daemon on :9090; tests start their own server on a free
# loopback port, so a system daemon is not wanted. Stop it if the package started one.
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        "${SUDO[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
    elif command -v service >/dev/null 2>&1; then
        "${SUDO[@]}" service prometheus stop >/dev/null 2>&1 || true
    fi
fi

for p in "${missing[@]}"; do
    is_installed "$p" || { echo "install_system_deps: no se pudo instalar $p" >&2; exit 1; }
done
