#!/usr/bin/env bash
# Golden vectors in CI (docs/vectors.md): export the reference, answer it with the NumPy port
# (the check must pass), then with the transcription of NVlabs/edm's formulas (the check must
# fail, on the quantities where those formulas lose digits). Needs python3; installs numpy
# with `pip install numpy` when it is missing. EDM=path/to/edm skips the cargo build.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! python3 -c "import numpy" 2>/dev/null; then
  python3 -m pip install --quiet numpy
fi

if [ -z "${EDM:-}" ]; then
  # The golden vectors need only the core and the CLI: skip the candle backend here.
  cargo build --release --quiet --no-default-features --features cli --bin edm
  EDM="${CARGO_TARGET_DIR:-target}/release/edm"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$EDM" vectors export --out "$work"

echo "== the NumPy port (ports/python/port.py): must pass =="
python3 ports/python/port.py "$work/vectors.json" "$work/port.json"
"$EDM" vectors check "$work/port.json"

echo "== NVlabs/edm's formulas (ports/python/reference_formulas.py): must fail =="
python3 ports/python/reference_formulas.py "$work/vectors.json" "$work/nvlabs.json"
if "$EDM" vectors check "$work/nvlabs.json" > "$work/nvlabs.txt"; then
  cat "$work/nvlabs.txt"
  echo "ci.sh: the check passed NVlabs's formulas; it should catch the digits they lose" >&2
  exit 1
fi
cat "$work/nvlabs.txt"
# The losses the check must name: exp(x) - 1 in VP's sigma, log(sigma^2 + 1) in its inverse,
# the cancelling iDDPM recursion, sigma^2 overflowing in the EDM preconditioning.
for quantity in "coefficients vp/vp sigma " "steps vp sigma " "steps edm t->vp " \
                "steps iddpm sigma " "coefficients edm/edm c_out "; do
  if ! grep -q "^${quantity}.*FAIL" "$work/nvlabs.txt"; then
    echo "ci.sh: expected \`${quantity% }\` to fail for NVlabs's formulas" >&2
    exit 1
  fi
done
echo "ci.sh: the NumPy port passes; NVlabs's formulas fail where they lose digits"
