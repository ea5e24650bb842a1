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
                           batch by prompt (``extra_info["uid"]``, else
                           ``extra_info["index"]``) so group-relative shapes
                           (kimi, arora-zanette, shorterbetter, alp) work.
* ``TerseRewardManager``   a verl reward manager (registered as ``terse`` when
                           verl is importable) that groups by verl's ``uid``
                           and sends the true token lengths and truncation
                           flags instead of re-tokenising text.

verl decodes responses with ``skip_special_tokens=True``, so the EOS token is
not in the text: the service detects truncation by length only
(tokens >= rollout_limit), and the text-based entry points count tokens with
the service's ``--tokenizer``. Pass ``rollout_limit`` = verl's
``data.max_response_length``.

Every entry point returns numeric values only (verl averages the extra keys):
``score`` (the shaped reward; 0 for a masked rollout, which verl cannot
express), ``acc`` (1 when correct and not truncated), ``correct`` (the
grader's verdict), ``tokens``, ``truncated`` and ``masked``.
"""

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
    "TerseRewardManager",
]

DEFAULT_URL = "http://127.0.0.1:8008"


class TerseRewardError(RuntimeError):
    """The terse reward service refused a request or could not be reached."""


def _url(url):
    return (url or os.environ.get("TERSE_REWARD_URL") or DEFAULT_URL).rstrip("/")


def _post(url, payload, timeout, retries):
    """POST payload as JSON to url; retry connection errors, 429 and 5xx."""
    data = json.dumps(payload).encode("utf-8")
    last = None
    for attempt in range(retries + 1):
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
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

    groups: list of {"id": str, "gold": str or [str], "rollouts": [{"response": str,
    "tokens": int (optional), "truncated": bool (optional), "correct": bool (optional)}]}.
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


def _gold(ground_truth):
    if ground_truth is None:
        return []
    if isinstance(ground_truth, (list, tuple)):
        return [str(g) for g in ground_truth]
    if hasattr(ground_truth, "tolist"):  # numpy arrays in verl's non-tensor batch
        return _gold(ground_truth.tolist())
    return [str(ground_truth)]


def _result(r):
    acc = 1.0 if (r["correct"] and not r["truncated"]) else 0.0
    return {
        "score": float(r["reward"]),
        "acc": acc,
        "correct": 1.0 if r["correct"] else 0.0,
        "tokens": float(r["tokens"]),
        "truncated": 1.0 if r["truncated"] else 0.0,
        "masked": 1.0 if r["masked"] else 0.0,
    }


def compute_score(data_source, solution_str, ground_truth, extra_info=None, url=None, shape=None,
                  rollout_limit=None, timeout=120.0, retries=3, **kwargs):
    """verl custom_reward_function: score one response.

    The rollout is scored alone, so use a per-rollout shape (truncation,
    laser, laser-d, the masking variants, ...); group-relative shapes need
    compute_score_batch or TerseRewardManager. reward_kwargs may set url,
    shape (a spec overriding the server's), rollout_limit, timeout, retries.
    verl passes no token count, so the service counts tokens itself; an
    integer extra_info["response_length"], if a pipeline adds one, is used
    as the true length instead.
    """
    rollout = {"response": solution_str}
    info = extra_info if isinstance(extra_info, dict) else {}
    if isinstance(info.get("response_length"), int):
        rollout["tokens"] = info["response_length"]
    group = {"id": str(data_source), "gold": _gold(ground_truth), "rollouts": [rollout]}
    res = score_groups([group], url=url, shape=shape, rollout_limit=rollout_limit,
                       timeout=timeout, retries=retries)
    return _result(res[0][0])


def _group_key(i, data_source, ground_truth, extra_info, group_key):
    info = extra_info if isinstance(extra_info, dict) else {}
    for k in (group_key, "uid", "index"):
        if k and info.get(k) is not None:
            return "%s:%s" % (k, info[k])
    return "sample:%d" % i  # no key: the rollout is its own group


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, url=None,
                        shape=None, rollout_limit=None, group_key=None, timeout=120.0, retries=3,
                        **kwargs):
    """verl BatchRewardManager function: score a whole batch, grouped by prompt.

    Rollouts of one prompt are grouped by extra_info[group_key] when given,
    else extra_info["uid"], else extra_info["index"] (verl's example data
    preprocessing stores the prompt index there, and every rollout of a
    prompt shares its extra_info); a rollout without any is its own group.
    Returns one result dict per input, in input order.
    """
    n = len(solution_strs)
    infos = list(extra_infos) if extra_infos is not None else [None] * n
    if not (len(data_sources) == len(ground_truths) == len(infos) == n):
        raise ValueError("compute_score_batch: lists of different lengths")
    order, groups = [], {}
    for i in range(n):
        key = _group_key(i, data_sources[i], ground_truths[i], infos[i], group_key)
        if key not in groups:
            groups[key] = {"id": key, "gold": _gold(ground_truths[i]), "rollouts": []}
            order.append(key)
        groups[key]["rollouts"].append({"response": solution_strs[i]})
        groups[key].setdefault("_idx", []).append(i)
    payload = [{k: v for k, v in groups[key].items() if k != "_idx"} for key in order]
    res = score_groups(payload, url=url, shape=shape, rollout_limit=rollout_limit,
                       timeout=timeout, retries=retries)
    out = [None] * n
    for key, rolls in zip(order, res):
        for i, r in zip(groups[key]["_idx"], rolls):
            out[i] = _result(r)
    return out


def score_by_uid(uids, responses, ground_truths, tokens=None, truncated=None, url=None,
                 shape=None, rollout_limit=None, timeout=120.0, retries=3):
    """Score a batch grouped by verl's uid, with optional true token lengths
    and truncation flags. Returns one result dict per input, in input order.
    This is the core of TerseRewardManager, free of torch.
    """
    n = len(responses)
    order, groups = [], {}
    for i in range(n):
        key = str(uids[i])
        if key not in groups:
            groups[key] = ({"id": key, "gold": _gold(ground_truths[i]), "rollouts": []}, [])
            order.append(key)
        ro = {"response": responses[i]}
        if tokens is not None:
            ro["tokens"] = int(tokens[i])
        if truncated is not None:
            ro["truncated"] = bool(truncated[i])
        groups[key][0]["rollouts"].append(ro)
        groups[key][1].append(i)
    res = score_groups([groups[k][0] for k in order], url=url, shape=shape,
                       rollout_limit=rollout_limit, timeout=timeout, retries=retries)
    out = [None] * n
    for key, rolls in zip(order, res):
        for i, r in zip(groups[key][1], rolls):
            out[i] = _result(r)
    return out


class TerseRewardManager:
    """verl reward manager that scores whole groups (by ``uid``) with terse.

    Sends each response's true length (its valid token count) and truncation
    flag (all max_response_length tokens used and the last one is not EOS),
    so the service does not re-tokenise. The reward sits on the last valid
    token, as in verl's own managers. Needs torch (imported when called).
    Keyword arguments (reward_model.reward_kwargs): url, shape, timeout,
    retries.
    """

    def __init__(self, tokenizer, num_examine=0, compute_score=None, reward_fn_key="data_source",
                 url=None, shape=None, timeout=120.0, retries=3, **kwargs):
        self.tokenizer = tokenizer
        self.num_examine = num_examine
        self.url, self.shape, self.timeout, self.retries = url, shape, timeout, retries

    def __call__(self, data, return_dict=False):
        import torch  # verl's dependency; not needed by the functions above

        prompt_len = data.batch["prompts"].shape[-1]
        responses = data.batch["responses"]
        max_len = responses.shape[-1]
        valid = data.batch["attention_mask"][:, prompt_len:].sum(dim=-1)
        eos = getattr(self.tokenizer, "eos_token_id", None)
        texts, tokens, truncated, golds = [], [], [], []
        for i in range(len(data)):
            n = int(valid[i])
            ids = responses[i][:n]
            texts.append(self.tokenizer.decode(ids, skip_special_tokens=True))
            tokens.append(n)
            truncated.append(n >= max_len and (n == 0 or eos is None or int(ids[-1]) != eos))
            golds.append(data[i].non_tensor_batch["reward_model"].get("ground_truth"))
        results = score_by_uid(data.non_tensor_batch["uid"], texts, golds, tokens=tokens,
                               truncated=truncated, url=self.url, shape=self.shape,
                               rollout_limit=max_len, timeout=self.timeout, retries=self.retries)
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


try:  # register as reward_model.reward_manager=terse when verl is importable
    from verl.workers.reward_manager import register as _register

    TerseRewardManager = _register("terse")(TerseRewardManager)
except Exception:  # noqa: BLE001 - verl absent or without a registry
    pass
