#!/usr/bin/env bash
# Fuzz smoke runs for CI: builds the targets once, then runs each for FUZZ_SECONDS (default 30)
# from the committed seeds. Exits non-zero, naming the input, as soon as a target fails.
# Runs on stable Rust: `-s none` builds without a sanitizer (the sanitizers need nightly).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
TARGETS=(schedule_precond steps user_schedule sampler_step discrete pickle)
# The fuzz build has its own flags; keep it out of the main crate's target directory.
TARGET_DIR="$PWD/fuzz/target"

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

cargo fuzz build -s none --target-dir "$TARGET_DIR"

# New inputs go to a scratch directory (the first corpus argument); the seeds stay as committed.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in "${TARGETS[@]}"; do
  echo "-- fuzz $target for ${FUZZ_SECONDS}s"
  mkdir -p "$scratch/$target"
  if ! cargo fuzz run -s none --target-dir "$TARGET_DIR" "$target" \
      "$scratch/$target" "fuzz/corpus/$target" \
      -- -max_total_time="$FUZZ_SECONDS" -print_final_stats=1; then
    echo "fuzz target $target failed; its input is under fuzz/artifacts/$target/" >&2
    for f in fuzz/artifacts/"$target"/*; do
      [ -f "$f" ] && cargo fuzz fmt -s none --target-dir "$TARGET_DIR" "$target" "$f" >&2 || true
    done
    exit 1
  fi
done
