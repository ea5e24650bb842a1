package rewardserver

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// rsLabel is one OpenRLHF label as the reward service reads it.
//
// A label is a gold answer (string, number, list of alternatives, null) or
// an object that `terse data export --format openrlhf` writes:
//
//	{"gold": ["1/2", "0.5"], "target_len": 1800, "eval": true}
//
// gold is the gold answer in any of the plain forms; target_len, when > 0,
// is the prompt's own L_T (per-prompt target length); eval marks an
// evaluation prompt: its rollouts are scored alone with the accuracy
// (1 when correct and not truncated, else 0) as reward, because OpenRLHF
// computes its evaluation pass1 as the mean of the rewards and its
// evaluation samples another number of rollouts per prompt
// (--eval.n_samples_per_prompt) than training.
type rsLabel struct {
	gold      []string
	targetLen int
	eval      bool
}

// rsParseLabel parses one label; the error names what is wrong.
func rsParseLabel(raw []byte) (rsLabel, error) {
	if len(raw) > 0 && raw[0] == '{' {
		var obj struct {
			Gold      json.RawMessage `json:"gold"`
			TargetLen *int            `json:"target_len"`
			Eval      *bool           `json:"eval"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&obj); err != nil {
			return rsLabel{}, fmt.Errorf("label object: %v (valid fields: gold, target_len, eval)", err)
		}
		g, ok := rsGold(obj.Gold)
		if !ok || obj.Gold == nil {
			return rsLabel{}, fmt.Errorf("label object: gold: got %s, want a string, number or list of strings", rsKind(obj.Gold))
		}
		l := rsLabel{gold: g}
		if obj.TargetLen != nil {
			if *obj.TargetLen <= 0 {
				return rsLabel{}, fmt.Errorf("label object: target_len %d, want > 0", *obj.TargetLen)
			}
			l.targetLen = *obj.TargetLen
		}
		if obj.Eval != nil {
			l.eval = *obj.Eval
		}
		return l, nil
	}
	g, ok := rsGold(raw)
	if !ok {
		return rsLabel{}, fmt.Errorf("got %s, want a string, number, list of strings, null or a label object", rsKind(raw))
	}
	return rsLabel{gold: g}, nil
}
