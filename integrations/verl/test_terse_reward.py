"""Tests of terse_reward against a live `terse reward serve`.

Run by `go test ./rewardserver/` (TestRewardVerlIntegration starts the service and sets
TERSE_REWARD_URL); standalone:

    TERSE_REWARD_URL=http://127.0.0.1:8008 python3 -m unittest -v test_terse_reward

The service must run with --rollout-limit 100 and the default shape
(truncation:target=4096) for the expected values below; when it has a bearer
token, TERSE_REWARD_TOKEN must hold it.

Contract: the fakes below replay verl's call shapes at commit b178a3cd
(volcengine/verl): verl/workers/reward_manager/batch.py (BatchRewardManager:
compute_score(data_sources=, solution_strs=, ground_truths=, extra_infos=,
**reward_kwargs), extra_infos[i]["rollout_reward_scores"] added),
verl/workers/reward_manager/naive.py (compute_score(data_source=,
solution_str=, ground_truth=, extra_info=) with extra_info["num_turns"] and
["rollout_reward_scores"] added), verl/experimental/reward_loop/reward_manager
/naive.py (run_single on a one-row DataProto; valid response length =
attention_mask[-response_length:].sum()), verl/utils/dataset/rl_dataset.py
(several parquet files concatenated; extra_info.index restarts per file) and
the batch layout: prompts [B, P] left padded, responses [B, R] right padded,
attention_mask [B, P + R].
"""

import asyncio
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import terse_reward  # noqa: E402

URL = os.environ.get("TERSE_REWARD_URL")


@unittest.skipUnless(URL, "TERSE_REWARD_URL not set: no terse reward service to test against")
class TerseRewardTest(unittest.TestCase):
    def test_compute_score_correct(self):
        r = terse_reward.compute_score("math", r"so the answer is \boxed{42}", "42", {"index": 0}, url=URL)
        self.assertEqual(r["score"], 1.0)
        self.assertEqual(r["acc"], 1.0)
        self.assertEqual(r["truncated"], 0.0)
        self.assertGreater(r["tokens"], 0)
        for v in r.values():
            self.assertIsInstance(v, float)

    def test_compute_score_wrong(self):
        r = terse_reward.compute_score("math", r"\boxed{41}", "42", url=URL)
        self.assertEqual((r["score"], r["correct"]), (0.0, 0.0))

    def test_compute_score_truncated_by_length(self):
        long = "word " * 500 + r"\boxed{42}"  # ≥ 100 tokens: truncated at the rollout limit
        r = terse_reward.compute_score("math", long, "42", url=URL)
        self.assertEqual(r["truncated"], 1.0)
        self.assertEqual(r["correct"], 1.0)  # the grader's verdict is kept...
        self.assertEqual(r["acc"], 0.0)  # ...but a truncated rollout never counts as correct
        self.assertEqual(r["score"], 0.0)
        self.assertEqual(r["tokens"], 100.0)

    def test_compute_score_shape_override(self):
        r = terse_reward.compute_score("math", r"\boxed{42}", ["x", "42"], url=URL,
                                       shape="laser:target=4096,alpha=0.4")
        self.assertAlmostEqual(r["score"], 1.4)

    def test_batch_groups_by_index(self):
        # Two prompts, interleaved as after verl's balance_batch. Kimi (α=0.4)
        # over each prompt's group; lengths are given by the service's
        # tokenizer, so compare ranks: shortest correct gets 1.2, longest 0.8.
        short, long = r"\boxed{42}", "think " * 40 + r"\boxed{42}"
        wrong = "think " * 20 + r"\boxed{0}"
        sols = [short, r"\boxed{7}", long, "think " * 40 + r"\boxed{7}", wrong]
        gts = ["42", "7", "42", "7", "42"]
        infos = [{"index": 0}, {"index": 1}, {"index": 0}, {"index": 1}, {"index": 0}]
        out = terse_reward.compute_score_batch(["math"] * 5, sols, gts, infos, url=URL, shape="kimi")
        self.assertEqual(len(out), 5)
        self.assertAlmostEqual(out[0]["score"], 1.2)  # prompt 0: shortest, correct
        self.assertAlmostEqual(out[2]["score"], 0.8)  # prompt 0: longest, correct
        self.assertLessEqual(out[4]["score"], 0.0)  # prompt 0: wrong
        self.assertAlmostEqual(out[1]["score"], 1.2)  # prompt 1: shortest, correct
        self.assertAlmostEqual(out[3]["score"], 0.8)  # prompt 1: longest, correct

    def test_batch_several_files(self):
        # verl concatenates train files; each file's extra_info.index restarts
        # at 0. Two prompts with index 0 from two files must not share a
        # group: grouped by index alone, the second prompt's rollouts were
        # graded against the first prompt's gold ("42") and scored 0.
        a = {"index": 0, "split": "test", "id": "gsm8k-0", "benchmark": "gsm8k", "gold": ["42"]}
        b = {"index": 0, "split": "test", "id": "math500-0", "benchmark": "math500", "gold": ["7", "7.0"]}
        infos = [dict(a), dict(b), dict(a), dict(b)]
        for x in infos:  # what BatchRewardManager.verify adds at b178a3cd
            x["rollout_reward_scores"] = {}
        sols = [r"\boxed{42}", r"\boxed{7.0}", "w " * 30 + r"\boxed{42}", "w " * 30 + r"\boxed{7}"]
        out = terse_reward.compute_score_batch(["terse"] * 4, sols, ["42", "7", "42", "7"], infos, url=URL,
                                               shape="kimi")
        self.assertEqual([r["correct"] for r in out], [1.0] * 4)
        self.assertAlmostEqual(out[0]["score"], 1.2)
        self.assertAlmostEqual(out[1]["score"], 1.2)  # "7.0" accepted through extra_info.gold
        self.assertAlmostEqual(out[2]["score"], 0.8)
        self.assertAlmostEqual(out[3]["score"], 0.8)
        k = [terse_reward.prompt_identity("terse", g, i) for g, i in zip(["42", "7"], infos[:2])]
        self.assertNotEqual(k[0], k[1])

    def test_group_with_two_golds_refused(self):
        with self.assertRaises(terse_reward.TerseRewardError) as cm:
            terse_reward.compute_score_batch(["m", "m"], ["a", "b"], ["1", "2"],
                                             [{"index": 0}, {"index": 0}], url=URL, group_key="index")
        self.assertIn("mixes prompts", str(cm.exception))
        with self.assertRaises(terse_reward.TerseRewardError):
            terse_reward.score_by_uid(["u", "u"], ["a", "b"], ["1", "2"], url=URL)

    def test_compute_score_every_gold(self):
        # ground_truth holds the first gold; extra_info.gold every alternative
        # (naive manager call shape, with the keys it adds).
        info = {"index": 3, "gold": [r"\frac{1}{2}", "0.5"], "num_turns": None, "rollout_reward_scores": {}}
        r = terse_reward.compute_score(data_source="minerva", solution_str=r"\boxed{0.5}",
                                       ground_truth=r"\frac{1}{2}", extra_info=info, url=URL)
        self.assertEqual(r["correct"], 1.0)
        self.assertEqual(terse_reward.golds("a", {"gold": ["a", "b"]}), ["a", "b"])

    def test_compute_score_target_len(self):
        info = {"index": 0, "target_len": 3}
        long = "w " * 20 + r"\boxed{1}"
        self.assertEqual(terse_reward.compute_score("m", long, "1", info, url=URL)["score"], 0.0)
        self.assertEqual(terse_reward.compute_score("m", long, "1", {"index": 0}, url=URL)["score"], 1.0)

    def test_response_lengths_verl_layout(self):
        # P = 3 (left padded with 0), R = 5 (right padded with 0); EOS id 9.
        prompts = [[0, 5, 6], [5, 6, 7], [0, 0, 5]]
        responses = [[1, 2, 9, 0, 0],   # finished: 3 tokens, EOS last
                     [1, 2, 3, 4, 4],   # all R tokens, no EOS: truncated
                     [1, 2, 3, 4, 9]]   # all R tokens, EOS last: finished
        mask = [[0, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 1, 1]]
        self.assertEqual(len(prompts[0]) + len(responses[0]), len(mask[0]))
        n, cut = terse_reward.response_lengths(mask, responses, [9])
        self.assertEqual(n, [3, 5, 5])
        self.assertEqual(cut, [False, True, False])

    def _batch(self, tokenizer_text):
        # A verl batch (DataProto) replayed without torch: two rollouts of one
        # prompt (uid "u0"), both cut at R = 100 tokens without EOS. Decoded
        # and re-tokenised, their text is far shorter than 100 tokens (here
        # the service's ⌈chars/4⌉), so text modes would count them finished.
        R = 100
        responses = [[1] * R, [2] * 10 + [9] + [0] * (R - 11)]
        mask = [[1, 1] + [1] * R, [1, 1] + [1] * 11 + [0] * (R - 11)]
        data = _FakeData({"responses": _FakeTensor(responses), "attention_mask": _FakeTensor(mask),
                          "prompts": _FakeTensor([[5, 6], [5, 6]])},
                         {"uid": ["u0", "u0"], "data_source": ["m", "m"],
                          "reward_model": [{"ground_truth": "1", "style": "rule"}] * 2,
                          "extra_info": [{"index": 0}, {"index": 0}]})
        return data, _FakeTokenizer(tokenizer_text)

    def test_manager_truncation_from_mask(self):
        data, tok = self._batch(r"\boxed{1}")
        m = terse_reward.TerseRewardManager(tok, url=URL, shape="truncation:target=4096")
        lengths, res = m.score(data)
        self.assertEqual(lengths, [100, 11])
        self.assertEqual([r["truncated"] for r in res], [1.0, 0.0])
        self.assertEqual([r["score"] for r in res], [0.0, 1.0])  # the cut rollout is never correct
        # The text path, for contrast: the same text re-tokenised looks finished.
        txt = terse_reward.compute_score("m", r"\boxed{1}", "1", {"index": 0}, url=URL)
        self.assertEqual((txt["truncated"], txt["length_exact"]), (0.0, 0.0))

    def test_reward_loop_manager(self):
        data, tok = self._batch(r"\boxed{1}")
        m = terse_reward.TerseRewardLoopManager(_FakeConfig({"url": URL}), tok)
        out = [asyncio.run(m.run_single(data.slice(i))) for i in range(2)]
        self.assertEqual([o["reward_extra_info"]["truncated"] for o in out], [1.0, 0.0])
        self.assertEqual([o["reward_score"] for o in out], [0.0, 1.0])
        self.assertEqual([o["reward_extra_info"]["tokens"] for o in out], [100.0, 11.0])

    def test_token_required(self):
        if not os.environ.get("TERSE_REWARD_TOKEN"):
            self.skipTest("service without a bearer token")
        saved = os.environ.pop("TERSE_REWARD_TOKEN")
        try:
            with self.assertRaises(terse_reward.TerseRewardError) as cm:
                terse_reward.compute_score("m", "x", "1", url=URL, retries=0)
            self.assertIn("401", str(cm.exception))
        finally:
            os.environ["TERSE_REWARD_TOKEN"] = saved

    def test_score_by_uid_with_lengths(self):
        # The manager's path: true lengths and truncation flags, grouped by uid.
        out = terse_reward.score_by_uid(
            ["a", "b", "a", "a"],
            [r"\boxed{1}", r"\boxed{2}", r"\boxed{1}", r"\boxed{1}"],
            ["1", "2", "1", "1"],
            tokens=[100, 50, 300, 200],
            truncated=[False, False, False, True],
            url=URL, shape="kimi:alpha=0.4", rollout_limit=4096)
        # uid a: lengths 100, 300, 200 → L̃ = 0, 1, 0.5; the truncated one is wrong.
        self.assertEqual([r["score"] for r in out], [1.2, 1.0, 0.8, 0.0])
        self.assertEqual([r["truncated"] for r in out], [0.0, 0.0, 0.0, 1.0])
        self.assertEqual([r["tokens"] for r in out], [100.0, 50.0, 300.0, 200.0])

    def test_chunking(self):
        groups = [{"id": str(i), "gold": "1", "rollouts": [{"response": r"\boxed{1}"}] * 3} for i in range(5)]
        res = terse_reward.score_groups(groups, url=URL, max_rollouts_per_request=4)
        self.assertEqual(len(res), 5)
        self.assertTrue(all(len(g) == 3 and g[0]["reward"] == 1 for g in res))

    def test_errors(self):
        with self.assertRaises(terse_reward.TerseRewardError) as cm:
            terse_reward.compute_score("math", "x", "1", url=URL, shape="nope")
        self.assertIn("unknown shape", str(cm.exception))
        with self.assertRaises(terse_reward.TerseRewardError):
            terse_reward.compute_score("math", "x", "1", url="http://127.0.0.1:9", retries=0)


class _FakeTensor:
    """Just what the managers use of a torch tensor: tolist, shape."""

    def __init__(self, rows):
        self.rows = rows
        self.shape = (len(rows), len(rows[0]))

    def tolist(self):
        return [list(r) for r in self.rows]


class _FakeData:
    """A DataProto: batch (tensors), non_tensor_batch (arrays of objects)."""

    def __init__(self, batch, non_tensor):
        self.batch, self.non_tensor_batch = batch, non_tensor

    def __len__(self):
        return len(self.non_tensor_batch["uid"])

    def slice(self, i):
        # data[i:i+1] as verl's reward loop passes it; data[0] is the item.
        one = _FakeData({k: _FakeTensor([v.rows[i]]) for k, v in self.batch.items()},
                        {k: [v[i]] for k, v in self.non_tensor_batch.items()})
        return [_FakeItem(one)]


class _FakeItem:
    def __init__(self, one):
        self.batch = {k: _FakeRow(v.rows[0]) for k, v in one.batch.items()}
        self.non_tensor_batch = {k: v[0] for k, v in one.non_tensor_batch.items()}


class _FakeRow(list):
    def tolist(self):
        return list(self)


class _FakeTokenizer:
    eos_token_id = 9

    def __init__(self, text):
        self.text = text

    def decode(self, ids, skip_special_tokens=True):
        return self.text


class _FakeConfig:
    def __init__(self, kwargs):
        self.reward_model = {"reward_kwargs": kwargs}


if __name__ == "__main__":
    unittest.main()
