#!/usr/bin/env bash
# The paper's Qwen3-0.6B run with verl (b178a3cd) and terse's reward service:
# profile and select the data, start the reward service, train, evaluate.
# Needs GPUs, verl and vLLM; nobody here has run it end to end (see README.md
# for what is tested). Every step is resumable: rerun the script.
set -euo pipefail
: "${TERSE:=$(cd "$(dirname "$0")/../../../.." && pwd)}"   # terse checkout
: "${MODEL:=/models/Qwen3-0.6B}"                          # local HF directory (holds tokenizer.json)
: "${WORK:=runs/verl-qwen3-0.6b}"
: "${GPUS:=8}"
: "${VLLM:=http://127.0.0.1:8000}"                        # vLLM serving $MODEL for profiling/eval
: "${TERSE_REWARD_URL:=http://127.0.0.1:8008}"
export TERSE TERSE_REWARD_URL MODEL WORK GPUS
mkdir -p "$WORK"

# 1. Profile every DeepScaleR prompt with the base model: 8 rollouts at L_R = 8k.
terse profile --input dsr-train-math --model "$MODEL" --endpoint "$VLLM" \
  --group-size 8 --rollout-limit 8192 --target-len 8192 --out "$WORK/profile"

# 2. Select the Easy prompts (pass rate > 0.5) as verl parquet; a validation
#    file from AIME 2025 profiled the same way.
terse select --profile "$WORK/profile" --easy --target-len 8192 --group-size 24 \
  --format verl --out "$WORK/train.parquet"
terse profile --input aime25 --model "$MODEL" --endpoint "$VLLM" \
  --group-size 8 --rollout-limit 8192 --out "$WORK/profile-aime25"
terse select --profile "$WORK/profile-aime25" --format verl --split test \
  --out "$WORK/val.parquet"

# 3. The reward service: truncation reward, L_R = L_T = 8k, the policy's tokenizer.
terse reward serve --shape truncation:target=8192 --rollout-limit 8192 \
  --group-size 24 --tokenizer "$MODEL" &
trap 'kill %1' EXIT

# 4. Train (overrides in train.args).
python3 -m verl.trainer.main_ppo $(grep -v '^#' "$(dirname "$0")/train.args" | envsubst)

# 5. Evaluate base and trained model across budgets with terse eval (Mean@8 on
#    AIME 2025 at 2k..32k, Qwen3's sampling settings). Serve each with vLLM
#    first: the trained one under the name qwen3-0.6b-terse (verl's merged
#    HF checkpoint of the last step).
for m in "$MODEL" qwen3-0.6b-terse; do
  terse eval --bench aime25 --model "$m" --endpoint "$VLLM" \
    --samples 8 --max-tokens 32768 --budgets 2k,4k,8k,16k,32k \
    --temperature 0.6 --top-p 0.95 --top-k 20 --out "$WORK/eval-$(basename "$m")"
done
