#!/usr/bin/env bash
# Installs what `make -C proofs` needs: Coq, Coquelicot, Flocq (Debian packages) and Gappa.
# Idempotent; runs as root (CI) or through sudo. Debian bookworm gives Coq 8.16.1,
# Coquelicot 3.2.0, Flocq 4.1.0, Gappa 1.4.1.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(coq libcoq-coquelicot gappa libcoq-flocq)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: ${PKGS[*]} already installed"
else
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${PKGS[@]}"
fi
coqc --version | head -n1
gappa --version 2>&1 | head -n1 || true
