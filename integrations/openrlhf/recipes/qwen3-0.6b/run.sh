#!/usr/bin/env bash
# The paper's Qwen3-0.6B run with OpenRLHF v0.11.0 (3c3be62) and terse's
# reward service: profile and select the data, start the reward service,
# train, evaluate. Needs GPUs, Ray, OpenRLHF and vLLM; nobody here has run it
# end to end (see README.md for what is tested). Rerun to resume a step.
set -euo pipefail
: "${MODEL:=/models/Qwen3-0.6B}"                          # local HF directory (holds tokenizer.json)
: "${WORK:=runs/openrlhf-qwen3-0.6b}"
: "${GPUS:=8}"
: "${VLLM:=http://127.0.0.1:8000}"                        # vLLM serving $MODEL for profiling/eval
: "${TERSE_REWARD_URL:=http://127.0.0.1:8008}"
export TERSE_REWARD_URL MODEL WORK GPUS
mkdir -p "$WORK"

# 1. Profile every DeepScaleR prompt with the base model: 8 rollouts at L_R = 8k.
terse profile --input dsr-train-math --model "$MODEL" --endpoint "$VLLM" \
  --group-size 8 --rollout-limit 8192 --target-len 8192 --out "$WORK/profile"

# 2. Easy prompts (pass rate > 0.5) as OpenRLHF JSONL (prompt as messages for
#    --data.apply_chat_template); AIME 2025 as the evaluation file, labels
#    marked eval so that the service returns accuracy as the reward.
terse select --profile "$WORK/profile" --easy --target-len 8192 --group-size 24 \
  --format openrlhf --messages --out "$WORK/train.jsonl"
terse profile --input aime25 --model "$MODEL" --endpoint "$VLLM" \
  --group-size 8 --rollout-limit 8192 --out "$WORK/profile-aime25"
terse select --profile "$WORK/profile-aime25" --format openrlhf --messages --eval \
  --out "$WORK/eval.jsonl"

# 3. The reward service: truncation reward, L_R = L_T = 8k, groups of 24; its
#    request deadline (170 s) sits under OpenRLHF's 180 s client timeout.
terse reward serve --shape truncation:target=8192 --rollout-limit 8192 \
  --group-size 24 --tokenizer "$MODEL" &
trap 'kill %1' EXIT

# 4. Train (flags in train.args).
python3 -m openrlhf.cli.train_ppo_ray $(grep -v '^#' "$(dirname "$0")/train.args" | envsubst)

# 5. Evaluate base and trained model across budgets with terse eval (serve each
#    with vLLM first; the trained one as qwen3-0.6b-terse, from $WORK/ckpt).
for m in "$MODEL" qwen3-0.6b-terse; do
  terse eval --bench aime25 --model "$m" --endpoint "$VLLM" \
    --samples 8 --max-tokens 32768 --budgets 2k,4k,8k,16k,32k \
    --temperature 0.6 --top-p 0.95 --top-k 20 --out "$WORK/eval-$(basename "$m")"
done
