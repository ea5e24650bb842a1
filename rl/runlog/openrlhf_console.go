package runlog

import (
	"fmt"
	"regexp"
	"strconv"
)

// OpenRLHF's trainer (openrlhf/trainer/ppo_trainer.py, fit and evaluate)
// logs each step's status dict and each evaluation's metrics:
//
//	INFO 08-13 19:25:45 ppo_trainer.py:547] ✨ Global step 12: {'policy_loss': 0.01, …}
//	INFO 08-13 19:40:02 ppo_trainer.py:594] ✨ Evaluation completed in 0:01:23, global_step 20, eval_metrics: {'eval_math_pass1': 0.41, …}
//
// (format from openrlhf/utils/logging_utils.py). The same keys go to wandb
// with a "train/" or "eval/" prefix.
var (
	orlTrain = regexp.MustCompile(`Global step (\d+): (\{.*\})\s*$`)
	orlEval  = regexp.MustCompile(`global_step (\d+), eval_metrics: (\{.*\})\s*$`)
)

func parseOpenRLHFConsole(data []byte, name string) ([]raw, int, error) {
	return consoleLines(data, name, func(ln int, line string) (raw, bool, error) {
		m := orlTrain.FindStringSubmatch(line)
		if m == nil {
			m = orlEval.FindStringSubmatch(line)
		}
		if m == nil {
			return raw{}, false, nil
		}
		step, err := strconv.Atoi(m[1])
		if err != nil {
			return raw{}, false, fmt.Errorf("step %q: %w", m[1], err)
		}
		d, err := pyDict(m[2])
		if err != nil {
			return raw{}, false, err
		}
		return raw{step: step, hasStep: true, line: ln, metrics: d}, true, nil
	})
}
