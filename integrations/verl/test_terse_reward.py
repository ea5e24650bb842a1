"""Tests of terse_reward against a live `terse reward serve`.

Run by `go test ./rewardserver/` (TestRewardVerlIntegration starts the service and sets
TERSE_REWARD_URL); standalone:

    TERSE_REWARD_URL=http://127.0.0.1:8008 python3 -m unittest -v test_terse_reward

The service must run with --rollout-limit 100 and the default shape
(truncation:target=4096) for the expected values below.
"""

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


if __name__ == "__main__":
    unittest.main()
