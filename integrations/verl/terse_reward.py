"""verl reward functions backed by the terse reward service.

Standard library only. Start the service first, e.g.

    terse reward serve --shape truncation:target=4096 --rollout-limit 4096 \
        --tokenizer /path/to/model/tokenizer.json

then point verl at one of the three entry points below (README.md lists the
config keys):

* ``compute_score``        per-sample ``custom_reward_function`` (verl's default
                           naive reward manager). Enough for the truncation
                           shape, the paper's recommendation.
* ``compute_score_batch``  for ``reward_model.reward_manager=batch``; groups the
                           batch by prompt identity (data source + index + a
                           hash of extra_info and gold, see prompt_identity)
                           so group-relative shapes (kimi, arora-zanette,
                           shorterbetter, alp) work.
* ``TerseRewardManager``   a verl reward manager (registered as ``terse`` in
                           verl's classic registry and, as
                           ``TerseRewardLoopManager``, in the reward-loop
                           registry, when verl is importable) that groups by
                           verl's ``uid`` and sends the true token lengths and
                           truncation flags read from the batch's attention
                           mask instead of re-tokenising text.

verl decodes responses with ``skip_special_tokens=True``, so the EOS token is
not in the text. The text entry points (compute_score, compute_score_batch)
cannot see verl's batch; they send the true length when extra_info carries
``response_length`` (and ``truncated``), else the service re-tokenises the
text, which can undercount a rollout cut at ``max_response_length``: every
result then has ``length_exact = 0``. The managers read each rollout's
length from the attention mask, as verl's own managers do
(response_lengths), so their truncation flags are exact.

Every entry point returns numeric values only (verl's validation averages the
extra keys per data source; in training verl logs only the score):
``score`` (the shaped reward; 0 for a masked rollout, which verl cannot
express), ``acc`` (1 when correct and not truncated), ``correct`` (the
grader's verdict), ``tokens``, ``truncated``, ``masked`` and
``length_exact``.
"""

import hashlib
import json
import os
import time
import urllib.error
import urllib.request

__all__ = [
    "TerseRewardError",
    "score_groups",
    "compute_score",
    "compute_score_batch",
    "prompt_identity",
    "golds",
    "response_lengths",
    "score_by_uid",
    "TerseRewardManager",
    "TerseRewardLoopManager",
]

DEFAULT_URL = "http://127.0.0.1:8008"


class TerseRewardError(RuntimeError):
    """The terse reward service refused a request or could not be reached."""


def _url(url):
    return (url or os.environ.get("TERSE_REWARD_URL") or DEFAULT_URL).rstrip("/")


def _token():
    """The service's bearer token: $TERSE_REWARD_TOKEN, else the first line of
    the file $TERSE_REWARD_TOKEN_FILE, else None (a loopback service)."""
    tok = os.environ.get("TERSE_REWARD_TOKEN")
    if not tok and os.environ.get("TERSE_REWARD_TOKEN_FILE"):
        with open(os.environ["TERSE_REWARD_TOKEN_FILE"], encoding="utf-8") as f:
            tok = f.readline()
    tok = (tok or "").strip()
    return tok or None


def _post(url, payload, timeout, retries):
    """POST payload as JSON to url; retry connection errors, 429 and 5xx."""
    data = json.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    tok = _token()
    if tok:
        headers["Authorization"] = "Bearer " + tok
    last = None
    for attempt in range(retries + 1):
        req = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace")
            try:
                msg = json.loads(body).get("error", body)
            except ValueError:
                msg = body
            last = TerseRewardError("terse reward service: HTTP %d: %s" % (e.code, msg))
            if e.code != 429 and e.code < 500:
                raise last from None
        except (urllib.error.URLError, OSError) as e:
            last = TerseRewardError("terse reward service at %s: %s" % (url, e))
        if attempt < retries:
            time.sleep(min(2.0, 0.1 * 2**attempt))
    raise last


def score_groups(groups, url=None, shape=None, rollout_limit=None, timeout=120.0, retries=3,
                 max_rollouts_per_request=1024):
    """Score groups of rollouts with POST /v1/reward.

    groups: list of {"id": str, "gold": str or [str], "target_len": int (optional,
    the prompt's own L_T), "rollouts": [{"response": str, "tokens": int (optional),
    "truncated": bool (optional), "correct": bool (optional)}]}.
    Each group must hold all rollouts of one prompt. Returns, per group in
    order, the list of rollout results: dicts with reward, masked, correct,
    reason, extracted, tokens, truncated. Large batches are split between
    groups into requests of about max_rollouts_per_request rollouts.
    """
    endpoint = _url(url) + "/v1/reward"
    out = []
    chunk, n = [], 0

    def flush():
        if not chunk:
            return
        payload = {"groups": list(chunk)}
        if shape:
            payload["shape"] = shape
        if rollout_limit is not None:
            payload["rollout_limit"] = int(rollout_limit)
        resp = _post(endpoint, payload, timeout, retries)
        got = resp.get("groups")
        if not isinstance(got, list) or len(got) != len(chunk):
            raise TerseRewardError("terse reward service: malformed answer: %r" % (resp,))
        out.extend(g["rollouts"] for g in got)

    for g in groups:
        if n and n + len(g["rollouts"]) > max_rollouts_per_request:
            flush()
            chunk, n = [], 0
        chunk.append(g)
        n += len(g["rollouts"])
    flush()
    return out


def _plain(v):
    """v with numpy arrays and scalars (verl's non-tensor batch) as Python values."""
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def golds(ground_truth, extra_info=None):
    """Every accepted answer of a prompt: reward_model.ground_truth (a string
    or a list) followed by extra_info["gold"] (terse's export lists every
    alternative there, e.g. Minerva's), duplicates removed, order kept."""
    out = []
    for g in (_plain(ground_truth), _plain((extra_info or {}).get("gold") if isinstance(extra_info, dict) else None)):
        if g is None:
            continue
        for x in (g if isinstance(g, list) else [g]):
            x = str(x)
            if x not in out:
                out.append(x)
    return out


# Keys verl itself adds to a rollout's extra_info (naive and batch managers,
# reward loop at b178a3cd): they differ between rollouts of one prompt.
_ROLLOUT_KEYS = ("num_turns", "rollout_reward_scores", "response_length", "truncated",
                 "tool_extra_fields")


def prompt_identity(data_source, ground_truth, extra_info):
    """A key shared by every rollout of one prompt and by no other prompt.

    verl concatenates several parquet files into one dataset and each file's
    extra_info["index"] restarts at 0, so the index alone groups different
    prompts together. The key is data source + index + a hash of the
    prompt's extra_info (without the keys verl adds per rollout; terse's
    export puts the problem id and benchmark there, verl's example
    preprocessors the question) and of its gold answers.
    """
    info = _plain(extra_info) if isinstance(extra_info, dict) else {}
    stable = {k: v for k, v in info.items() if k not in _ROLLOUT_KEYS}
    blob = json.dumps([stable, golds(ground_truth, info)], sort_keys=True, default=str)
    h = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
    return "%s:%s:%s" % (data_source, info.get("index", ""), h)


def _target_len(extra_info):
    info = extra_info if isinstance(extra_info, dict) else {}
    t = _plain(info.get("target_len"))
    return int(t) if isinstance(t, (int, float)) and t > 0 else None


def _result(r, exact):
    acc = 1.0 if (r["correct"] and not r["truncated"]) else 0.0
    return {
        "score": float(r["reward"]),
        "acc": acc,
        "correct": 1.0 if r["correct"] else 0.0,
        "tokens": float(r["tokens"]),
        "truncated": 1.0 if r["truncated"] else 0.0,
        "masked": 1.0 if r["masked"] else 0.0,
        "length_exact": 1.0 if exact else 0.0,
    }


def _rollout(text, info):
    """A rollout for the service, with the true length when info has it."""
    ro = {"response": text}
    rl = _plain(info.get("response_length")) if isinstance(info, dict) else None
    if isinstance(rl, (int, float)) and not isinstance(rl, bool):
        ro["tokens"] = int(rl)
        tr = _plain(info.get("truncated"))
        if isinstance(tr, (bool, int, float)):
            ro["truncated"] = bool(tr)
    return ro


def compute_score(data_source, solution_str, ground_truth, extra_info=None, url=None, shape=None,
                  rollout_limit=None, timeout=120.0, retries=3, **kwargs):
    """verl custom_reward_function: score one response.

    The rollout is scored alone, so use a per-rollout shape (truncation,
    laser, laser-d, the masking variants, ...); group-relative shapes need
    TerseRewardManager or compute_score_batch. reward_kwargs may set url,
    shape (a spec overriding the server's), rollout_limit, timeout, retries.
    Gold: ground_truth and every alternative in extra_info["gold"]. Length:
    extra_info["response_length"] (and "truncated") when a pipeline adds
    them, else the service re-tokenises the text (length_exact = 0).
    extra_info["target_len"], when set, is this prompt's own L_T.
    """
    info = extra_info if isinstance(extra_info, dict) else {}
    ro = _rollout(solution_str, info)
    group = {"id": prompt_identity(data_source, ground_truth, info), "gold": golds(ground_truth, info),
             "rollouts": [ro]}
    if _target_len(info):
        group["target_len"] = _target_len(info)
    res = score_groups([group], url=url, shape=shape, rollout_limit=rollout_limit,
                       timeout=timeout, retries=retries)
    return _result(res[0][0], "tokens" in ro)


def _score_grouped(keys, responses, gold_lists, rollouts, targets, url, shape, rollout_limit,
                   timeout, retries):
    """Group rollouts by key, refuse a group whose members disagree on the
    gold answers, score, and return the service's results in input order."""
    order, groups = [], {}
    for i, key in enumerate(keys):
        key = str(key)
        if key not in groups:
            groups[key] = ({"id": key, "gold": gold_lists[i], "rollouts": []}, [])
            if targets[i]:
                groups[key][0]["target_len"] = targets[i]
            order.append(key)
        g, idx = groups[key]
        if gold_lists[i] != g["gold"]:
            raise TerseRewardError(
                "terse_reward: group %s mixes prompts: rollout %d has gold %r, rollout %d has gold %r"
                % (key, idx[0], g["gold"], i, gold_lists[i]))
        if targets[i] != g.get("target_len"):
            raise TerseRewardError(
                "terse_reward: group %s mixes prompts: rollout %d has target_len %r, rollout %d has %r"
                % (key, idx[0], g.get("target_len"), i, targets[i]))
        g["rollouts"].append(rollouts[i])
        idx.append(i)
    res = score_groups([groups[k][0] for k in order], url=url, shape=shape,
                       rollout_limit=rollout_limit, timeout=timeout, retries=retries)
    out = [None] * len(keys)
    for key, rolls in zip(order, res):
        for i, r in zip(groups[key][1], rolls):
            out[i] = r
    return out


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, url=None,
                        shape=None, rollout_limit=None, group_key=None, timeout=120.0, retries=3,
                        **kwargs):
    """verl BatchRewardManager function: score a whole batch, grouped by prompt.

    Rollouts are grouped by prompt_identity (data source + index + a hash of
    extra_info and gold), or by extra_info[group_key] when given; a group
    whose members disagree on the gold answers is refused. Lengths as in
    compute_score. Returns one result dict per input, in input order.
    """
    n = len(solution_strs)
    infos = [i if isinstance(i, dict) else {} for i in (list(extra_infos) if extra_infos is not None else [None] * n)]
    if not (len(data_sources) == len(ground_truths) == len(infos) == n):
        raise ValueError("compute_score_batch: lists of different lengths")
    keys = []
    for i in range(n):
        if group_key:
            if infos[i].get(group_key) is None:
                raise TerseRewardError("terse_reward: rollout %d has no extra_info[%r] (group_key)" % (i, group_key))
            keys.append("%s:%s" % (group_key, _plain(infos[i][group_key])))
        else:
            keys.append(prompt_identity(data_sources[i], ground_truths[i], infos[i]))
    rollouts = [_rollout(solution_strs[i], infos[i]) for i in range(n)]
    res = _score_grouped(keys, solution_strs, [golds(ground_truths[i], infos[i]) for i in range(n)], rollouts,
                         [_target_len(x) for x in infos], url, shape, rollout_limit, timeout, retries)
    return [_result(r, "tokens" in ro) for r, ro in zip(res, rollouts)]


def score_by_uid(uids, responses, ground_truths, tokens=None, truncated=None, url=None,
                 shape=None, rollout_limit=None, timeout=120.0, retries=3, extra_infos=None):
    """Score a batch grouped by verl's uid, with optional true token lengths
    and truncation flags. A uid whose rollouts disagree on the gold answers
    (ground_truth plus extra_info["gold"]) is refused. Returns one result
    dict per input, in input order. This is the core of TerseRewardManager,
    free of torch.
    """
    n = len(responses)
    infos = [i if isinstance(i, dict) else {} for i in (list(extra_infos) if extra_infos is not None else [None] * n)]
    rollouts = []
    for i in range(n):
        ro = {"response": responses[i]}
        if tokens is not None:
            ro["tokens"] = int(tokens[i])
        if truncated is not None:
            ro["truncated"] = bool(truncated[i])
        rollouts.append(ro)
    res = _score_grouped(list(uids), responses, [golds(ground_truths[i], infos[i]) for i in range(n)], rollouts,
                         [_target_len(x) for x in infos], url, shape, rollout_limit, timeout, retries)
    return [_result(r, tokens is not None) for r in res]


def response_lengths(attention_mask, responses, eos_token_ids):
    """True lengths and truncation flags from verl's batch layout.

    verl's batch (DataProto.batch at b178a3cd) holds "prompts" [B, P] left
    padded, "responses" [B, R] right padded (R = data.max_response_length)
    and "attention_mask" [B, P + R]; the response's valid length is
    attention_mask[:, -R:].sum(-1), as every verl reward manager computes it
    (workers/reward_manager/naive.py, batch.py; reward_loop naive.py). A
    rollout is truncated when it used all R tokens and the last one is not
    an EOS id. Arguments are nested lists (tensor.tolist()); returns
    (lengths, truncated).
    """
    eos = set(int(e) for e in (eos_token_ids or []))
    lengths, cut = [], []
    for mask, ids in zip(attention_mask, responses):
        r = len(ids)
        n = int(sum(mask[len(mask) - r:]))
        lengths.append(n)
        cut.append(n >= r and (n == 0 or int(ids[n - 1]) not in eos))
    return lengths, cut


def _eos_ids(tokenizer):
    e = getattr(tokenizer, "eos_token_id", None)
    if e is None:
        return []
    return list(e) if isinstance(e, (list, tuple)) else [e]


def _decode(tokenizer, ids):
    return tokenizer.decode(ids, skip_special_tokens=True)


class TerseRewardManager:
    """verl reward manager that scores whole groups (by ``uid``) with terse.

    Sends each response's true length and truncation flag, read from the
    batch's attention mask (response_lengths), so the service does not
    re-tokenise. Gold answers: ground_truth plus extra_info["gold"]. The
    reward sits on the last valid token, as in verl's own managers. Needs
    torch (imported when called). Keyword arguments
    (reward_model.reward_kwargs): url, shape, timeout, retries.
    """

    def __init__(self, tokenizer, num_examine=0, compute_score=None, reward_fn_key="data_source",
                 url=None, shape=None, timeout=120.0, retries=3, **kwargs):
        self.tokenizer = tokenizer
        self.num_examine = num_examine
        self.url, self.shape, self.timeout, self.retries = url, shape, timeout, retries

    def score(self, data):
        """Score a verl batch (DataProto) without torch: returns (lengths,
        results), one result dict per row. Lengths and truncation come from
        the attention mask (response_lengths), groups from
        non_tensor_batch["uid"], gold from reward_model.ground_truth and
        extra_info["gold"]."""
        ids = data.batch["responses"].tolist()
        tokens, truncated = response_lengths(data.batch["attention_mask"].tolist(), ids, _eos_ids(self.tokenizer))
        texts = [_decode(self.tokenizer, ids[i][:tokens[i]]) for i in range(len(ids))]
        ntb = data.non_tensor_batch
        golds_ = [_plain(rm).get("ground_truth") for rm in ntb["reward_model"]]
        infos = ntb["extra_info"] if "extra_info" in ntb else [None] * len(ids)
        results = score_by_uid(ntb["uid"], texts, golds_, tokens=tokens, truncated=truncated, url=self.url,
                               shape=self.shape, rollout_limit=len(ids[0]) if ids else None,
                               timeout=self.timeout, retries=self.retries, extra_infos=infos)
        return tokens, results

    def __call__(self, data, return_dict=False):
        import torch  # verl's dependency; not needed by score()

        tokens, results = self.score(data)
        responses = data.batch["responses"]
        reward = torch.zeros_like(responses, dtype=torch.float32)
        extra = {k: [] for k in ("acc", "correct", "tokens", "truncated", "masked")}
        for i, r in enumerate(results):
            if tokens[i] > 0:
                reward[i, tokens[i] - 1] = r["score"]
            for k in extra:
                extra[k].append(r[k])
        if return_dict:
            return {"reward_tensor": reward, "reward_extra_info": extra}
        return reward


class TerseRewardLoopManager:
    """verl reward-loop manager (reward_model.use_reward_loop=True, verl's
    default since December 2025): scores one rollout at a time, like verl's
    reward-loop ``naive`` manager, with the true length and truncation flag
    from the attention mask. Per-rollout shapes only (the loop never sees a
    group). Config: reward_model.reward_kwargs url, shape, timeout, retries.
    """

    def __init__(self, config, tokenizer, compute_score=None, reward_router_address=None,
                 reward_model_tokenizer=None, **kwargs):
        self.config, self.tokenizer = config, tokenizer
        kw = {}
        try:
            kw = dict(config.reward_model.get("reward_kwargs", {}) or {})
        except Exception:  # noqa: BLE001 - a config without reward_model.reward_kwargs
            kw = {}
        kw.update(kwargs)
        self.url, self.shape = kw.get("url"), kw.get("shape")
        self.timeout, self.retries = kw.get("timeout", 120.0), kw.get("retries", 3)

    async def run_single(self, data):
        import asyncio

        item = data[0]
        ids = item.batch["responses"].tolist()
        (n,), (cut,) = response_lengths([item.batch["attention_mask"].tolist()], [ids], _eos_ids(self.tokenizer))
        text = _decode(self.tokenizer, ids[:n])
        info = dict(item.non_tensor_batch.get("extra_info", {}) or {})
        info["response_length"], info["truncated"] = n, cut
        gt = item.non_tensor_batch["reward_model"]["ground_truth"]
        src = item.non_tensor_batch["data_source"]
        r = await asyncio.get_running_loop().run_in_executor(
            None, lambda: compute_score(src, text, gt, info, url=self.url, shape=self.shape,
                                        rollout_limit=len(ids), timeout=self.timeout, retries=self.retries))
        return {"reward_score": r["score"], "reward_extra_info": r}


try:  # register as reward_model.reward_manager=terse when verl is importable
    from verl.workers.reward_manager import register as _register

    TerseRewardManager = _register("terse")(TerseRewardManager)
except Exception:  # noqa: BLE001 - verl absent or without a registry
    pass

try:  # the reward loop's own registry (verl ≥ December 2025, b178a3cd)
    from verl.experimental.reward_loop.reward_manager import register as _register_loop
    from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase as _LoopBase

    TerseRewardLoopManager = _register_loop("terse")(
        type("TerseRewardLoopManager", (TerseRewardLoopManager, _LoopBase), {}))
except Exception:  # noqa: BLE001 - verl absent or older
    pass
