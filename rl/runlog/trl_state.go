package runlog

import (
	"encoding/json"
	"fmt"
)

// parseTRLState reads a transformers Trainer's trainer_state.json
// (transformers/trainer_callback.py, TrainerState.save_to_json). Trainer.log
// appends each logged dict, plus "step": global_step, to log_history; TRL's
// GRPOTrainer.log adds its averaged metrics (trl/trainer/grpo_trainer.py)
// to the same dict, with "eval_" in front during evaluation. The last entry
// is the run summary (train_runtime, train_loss, …).
func parseTRLState(data []byte, name string) ([]raw, error) {
	var st struct {
		LogHistory []map[string]json.RawMessage `json:"log_history"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("runlog: %s: %w", name, err)
	}
	if st.LogHistory == nil {
		return nil, fmt.Errorf("runlog: %s: no log_history: not a trainer_state.json", name)
	}
	recs := make([]raw, 0, len(st.LogHistory))
	for i, e := range st.LogHistory {
		r := raw{line: i + 1, metrics: map[string]float64{}}
		if err := flattenJSON(&r, "", e, false); err != nil {
			return nil, fmt.Errorf("runlog: %s: log_history[%d]: %w", name, i, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}
