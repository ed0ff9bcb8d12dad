#!/usr/bin/env bash
# The CUDA checks, on a machine with an NVIDIA GPU, PyTorch and no Rust toolchain, from binaries
# built elsewhere with `--features cuda` (see docs/cuda.md):
#   1. the CPU/GPU agreement tests (tests/nn/cuda.rs, run from the `nn` test binary);
#   2. NVlabs's PyTorch networks against ours on the same weights and inputs (DDPM++, NCSN++,
#      ADM: max difference) and the forward throughput of both at batch 16;
#   3. `edm generate --device cuda` (the README's main job on the GPU), timed;
#   4. optionally, training of the digits model resumed on the GPU from a state, until a deadline,
#      then `edm evaluate --device cuda` of the EMA weights reached, until a second deadline.
#
#   scripts/gpu_check.sh DIR OUT [TRAIN_UNTIL EVAL_UNTIL]   (seconds after the script's start)
#
# DIR holds `edm`, `nn` (the test binary of tests/nn), `network_io` (the example), NVlabs's
# `networks.py` (from a checkout of NVlabs/edm) and, for step 4, `state.safetensors` and
# `loss.csv` of a run (if training fails, step 5 evaluates the embedded model). Everything
# goes to OUT/gpu.log; step 4 leaves OUT/model-ema.safetensors, OUT/loss.csv and
# the state split in pieces under 16 MB (OUT/state.part-*; `cat` joins them), and
# OUT/eval/evaluate.{md,png}.
set -u
DIR=$1
OUT=$2
TRAIN=${3:-0}
EVAL=${4:-0}
START=$SECONDS
LIB=$(python3 -c 'import nvidia,os;print(os.path.join(nvidia.__path__[0],"cu13/lib"))')
export LD_LIBRARY_PATH=$LIB:${LD_LIBRARY_PATH:-}
LOG=$OUT/gpu.log
step() { echo "== $* (at ${SECONDS}s)" >>"$LOG"; }
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c 'import torch; print("torch", torch.__version__)'
} >>"$LOG" 2>&1
chmod +x "$DIR"/edm "$DIR"/nn "$DIR"/network_io

step "1. CPU/GPU agreement tests"
timeout 120 "$DIR"/nn cuda:: --test-threads=1 >>"$LOG" 2>&1
echo "exit $?" >>"$LOG"

step "2. NVlabs networks vs ours, throughput at batch 16"
for c in ddpmpp ncsnpp adm; do
  timeout 60 "$DIR"/network_io $c cuda /tmp/io-$c.safetensors 16 20 >>"$LOG" 2>&1
  timeout 60 python3 scripts/nvlabs_compare.py "$DIR"/networks.py $c /tmp/io-$c.safetensors 16 20 \
    >>"$LOG" 2>&1
  rm -f /tmp/io-$c.safetensors
done

step "3. edm generate --device cuda"
/usr/bin/time -f "generate: %e s wall" timeout 120 "$DIR"/edm generate --device cuda \
  --out "$OUT"/digits-cuda.png >>"$LOG" 2>&1

LEFT=$((TRAIN - (SECONDS - START)))
if [ "$LEFT" -gt 30 ] && [ -f "$DIR"/state.safetensors ]; then
  step "4. training on the GPU for ${LEFT}s"
  mkdir -p /tmp/digits && cp "$DIR"/state.safetensors /tmp/digits/
  [ -f "$DIR"/loss.csv ] && cp "$DIR"/loss.csv /tmp/digits/
  nvidia-smi --query-gpu=memory.used --format=csv,noheader -lms 5000 >>"$LOG" 2>&1 &
  SMI=$!
  RUST_BACKTRACE=1 timeout "$LEFT" "$DIR"/edm train --device cuda --out /tmp/digits \
    --train-steps 100000000 --checkpoint-every 200 >>"$LOG" 2>&1
  echo "exit $?" >>"$LOG"
  kill $SMI
  if [ -f /tmp/digits/model-ema.safetensors ]; then
    cp /tmp/digits/model-ema.safetensors /tmp/digits/loss.csv "$OUT"/
    split -b 15000000 /tmp/digits/state.safetensors "$OUT"/state.part-
    MODEL=(--model /tmp/digits/model-ema.safetensors)
  else
    MODEL=()  # the embedded model
  fi
  LEFT=$((EVAL - (SECONDS - START)))
  step "5. edm evaluate --device cuda ${MODEL[*]} for at most ${LEFT}s"
  [ "$LEFT" -gt 10 ] && timeout "$LEFT" "$DIR"/edm evaluate --device cuda "${MODEL[@]}" \
    --batch 500 --samplers heun,euler,dpmpp2m --nfe 9,17,35 --guidance 1,2,3 \
    --out "$OUT"/eval >>"$LOG" 2>&1
  echo "exit $?" >>"$LOG"
fi
step "done"
