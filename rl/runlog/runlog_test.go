package runlog

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The samples in testdata mirror what each trainer writes; each case names
// the source (file and commit) its shape was taken from. Values are made up.
func TestParseSamples(t *testing.T) {
	type val struct {
		step int
		key  string
		want float64
	}
	tests := []struct {
		file     string
		source   string
		format   Format
		steps    []int // first and last step
		n        int   // records
		stepKey  string
		repeated int
		skipped  int
		vals     []val
		absent   []string // keys no record may hold
	}{
		{
			file:   "verl_console_2024.log",
			source: "verl b40afd4b docs/start/quickstart.rst (console sample), verl/workers/fsdp_workers.py (actor/lr(1e-4) = lr·1e4), Ray's coloured (main_task pid=…) prefix",
			format: VerlConsole, steps: []int{0, 9}, n: 10, stepKey: "step:K",
			repeated: 4, // step:0 training after its validation line, Ray's repeated line, validation at steps 4 and 9
			skipped:  13,
			vals: []val{{0, "val/test_score/openai/gsm8k", 0.221}, {0, "critic/lr(1e-4)", 0.1}, {0, "response_length/max", 256},
				{4, "val/test_score/openai/gsm8k", 0.45}, {9, "actor/lr(1e-4)", 0.01}, {3, "critic/kl_coeff", 0.001}},
		},
		{
			file:   "verl_console_2026.log",
			source: "verl b178a3cd verl/utils/logger/aggregate_logger.py (concat_dict_to_str: pprint.pformat, numpy 2 reprs), ray_trainer.py (validation before training at step 0, val-core/<source>/acc/mean@k), metric_utils.py",
			format: VerlConsole, steps: []int{0, 10}, n: 11, stepKey: "step:K", skipped: 2,
			vals: []val{{0, "val-core/openai/gsm8k/acc/mean@1", 0.4312}, {1, "actor/entropy", 0.61}, {1, "global_seqlen/min", 3001},
				{1, "actor/ppo_kl", 1.2e-5}, {10, "val-core/openai/gsm8k/acc/mean@1", 0.5521}, {10, "response_length/mean", 612.5}},
			absent: []string{"training/global_step"},
		},
		{
			file:   "verl_file.jsonl",
			source: "verl b178a3cd verl/utils/tracking.py (FileLogger: {\"step\": n, \"data\": metrics} per line)",
			format: JSONL, steps: []int{0, 5}, n: 6, stepKey: "step",
			vals: []val{{0, "val-core/openai/gsm8k/acc/mean@1", 0.4312}, {5, "response_length/mean", 712.5}, {5, "actor/lr", 1e-6}},
		},
		{
			file:   "trl_trainer_state.json",
			source: "transformers TrainerState.save_to_json (log_history with \"step\"), TRL f2cd5771 trl/trainer/grpo_trainer.py (completions/*, rewards/<fn>/mean|std, reward_std, frac_reward_zero_std, entropy, clip_ratio/*; eval_ prefix)",
			format: TRLState, steps: []int{5, 50}, n: 10, stepKey: "step", repeated: 3,
			vals: []val{{5, "completions/mean_length", 680}, {25, "eval_rewards/accuracy_reward/mean", 0.45}, {50, "train_runtime", 3600.1},
				{10, "frac_reward_zero_std", 0.38}, {10, "rewards/format_reward/mean", 0.55}},
		},
		{
			file:   "trl_table_2025_02.tsv",
			source: "TRL 47206566 (Jan 2025) grpo_trainer.py: completion_length, rewards/<fn>, reward, reward_std, kl; notebook table as copied (tabs), ' / ' in names",
			format: TRLTable, steps: []int{1, 10}, n: 10, stepKey: "Step",
			vals: []val{{1, "loss", 0}, {2, "completion_length", 376}, {10, "rewards/accuracy_reward", 0.4}, {3, "reward_std", 0.41}},
		},
		{
			file:   "trl_table_2025_08.md",
			source: "TRL e70a0efe (Apr 2025, 'Group completion metrics by common prefix') and daad8927 (entropy): completions / mean_length, completions / clipped_ratio, rewards / <fn> / mean|std; Markdown pipes",
			format: TRLTable, steps: []int{1, 10}, n: 10, stepKey: "Step",
			vals: []val{{4, "completions/clipped_ratio", 1}, {3, "completions/clipped_ratio", 0.5}, {1, "rewards/accuracy_reward/mean", 0.41}, {10, "entropy", 0.4}},
		},
		{
			file:   "trl_table_2025_08.html",
			source: "transformers utils/notebook.py (NotebookTrainingTracker's HTML table, \"No log\" cells)",
			format: TRLTable, steps: []int{1, 10}, n: 10, stepKey: "Step",
			vals: []val{{2, "loss", 0.0123}, {4, "completions/clipped_ratio", 1}, {10, "rewards/format_reward/mean", 0.6}},
		},
		{
			file:   "trl_console.log",
			source: "transformers trainer_callback.py ProgressCallback.on_log (str(logs), no step), TRL f2cd5771 GRPOTrainer.log",
			format: TRLConsole, steps: []int{1, 6}, n: 6, stepKey: "", repeated: 2, skipped: 1,
			vals: []val{{1, "completions/mean_length", 470.5}, {3, "eval_rewards/accuracy_reward/mean", 0.4}, {6, "train_runtime", 61}},
		},
		{
			file:   "trl_log_history.csv",
			source: "pandas.DataFrame(trainer_state['log_history']).to_csv() (unnamed index column)",
			format: CSV, steps: []int{10, 50}, n: 5, stepKey: "step",
			vals: []val{{10, "completions/mean_length", 500}, {50, "kl", 0.004}},
		},
		{
			file:   "openrlhf_console.log",
			source: "OpenRLHF 3c3be623 openrlhf/trainer/ppo_trainer.py (fit: ✨ Global step N: {status}; evaluate: eval_metrics), utils/logging_utils.py (format), trainer/ray/ppo_actor.py (policy_loss, entropy_loss, actor_lr, actor_grad_norm)",
			format: OpenRLHFConsole, steps: []int{1, 6}, n: 6, stepKey: "Global step N", repeated: 1, skipped: 8,
			vals: []val{{1, "rollout/truncated_rate", 0.0625}, {5, "eval_math_pass1", 0.41}, {2, "response_length", 782}},
		},
		{
			file:   "openrlhf_wandb.csv",
			source: "OpenRLHF 3c3be623 utils/logging_utils.py WandbLogger (train/ and eval/ prefixes, define_metric train/global_step); wandb CSV export (\"run - metric\", __MIN/__MAX)",
			format: CSV, steps: []int{1, 6}, n: 6, stepKey: "train/global_step",
			vals:   []val{{1, "train/response_length", 797}, {5, "eval/eval_math_pass1", 0.41}},
			absent: []string{"train/response_length__MIN", "Step"},
		},
		{
			file:   "wandb_history_records.json",
			source: "wandb Api run.history() → DataFrame.to_json(orient=\"records\") of a TRL run (train/ and eval/ prefixes)",
			format: WandbJSON, steps: []int{10, 50}, n: 5, stepKey: "train/global_step", repeated: 1,
			vals:   []val{{10, "train/completions/mean_length", 500}, {50, "eval/rewards/accuracy_reward/mean", 0.55}, {50, "train/reward", 0.54}},
			absent: []string{"_step"},
		},
		{
			file:   "wandb_history_columns.json",
			source: "the same history with pandas' default DataFrame.to_json() (orient=\"columns\", nulls for missing cells)",
			format: WandbJSON, steps: []int{10, 50}, n: 5, stepKey: "train/global_step", repeated: 1,
			vals: []val{{10, "train/completions/mean_length", 500}, {50, "eval/reward", 0.6}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if f, err := Detect(data, tc.file); err != nil || f != tc.format {
				t.Fatalf("Detect = %q, %v; want %q (sample after %s)", f, err, tc.format, tc.source)
			}
			lg, err := Parse(data, tc.file, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(lg.Records) != tc.n || lg.Records[0].Step != tc.steps[0] || lg.Records[len(lg.Records)-1].Step != tc.steps[1] {
				var got []int
				for _, r := range lg.Records {
					got = append(got, r.Step)
				}
				t.Fatalf("steps %v, want %d records from %d to %d", got, tc.n, tc.steps[0], tc.steps[1])
			}
			if lg.StepKey != tc.stepKey || lg.Repeated != tc.repeated || lg.Skipped != tc.skipped {
				t.Errorf("step key %q repeated %d skipped %d, want %q %d %d", lg.StepKey, lg.Repeated, lg.Skipped, tc.stepKey, tc.repeated, tc.skipped)
			}
			byStep := map[int]Record{}
			for _, r := range lg.Records {
				byStep[r.Step] = r
			}
			for _, v := range tc.vals {
				got, ok := byStep[v.step].Metrics[v.key]
				if !ok || math.Abs(got-v.want) > 1e-9 {
					t.Errorf("step %d %s = %v (present %v), want %v", v.step, v.key, got, ok, v.want)
				}
			}
			keys := strings.Join(lg.Keys(), "\n")
			for _, k := range tc.absent {
				if strings.Contains("\n"+keys+"\n", "\n"+k+"\n") {
					t.Errorf("key %q kept", k)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		format Format
		want   string
	}{
		{"{\"step\":1}\n{oops\n", "", "x:2"},
		{"{\"step\":1.5}\n", "", "x:1: step \"step\" = 1.5 is not an integer"},
		{"{\"step\":\"one\"}\n", JSONL, "x:1: step \"step\" is not a number"},
		{"a,b\n", "parquet", "unknown format \"parquet\""},
		{"  \n", "", "empty log"},
		{"hello world\nnothing here\n", "", "cannot tell the log format"},
		{"{'loss': 0.1, 'epoch'\n", TRLConsole, ""}, // not a whole dict: skipped, no records
		{"{'loss': 0.1, 'x' 2}\n", TRLConsole, "x:1: want ':' after key \"x\""},
		{"{\"log_history\": 3}", TRLState, "x:"},
		{"no table\n", TRLTable, "no table header"},
		{"Step,a\n1,\"2\n", CSV, "x:2"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.in), "x", tc.format)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.in, err, tc.want)
		}
	}
	if _, err := ReadFile("/nonexistent/log", ""); err == nil {
		t.Error("missing file accepted")
	}
}

func TestPyNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0.5", 0.5, true}, {"-1e-06", -1e-6, true}, {"np.float64(0.25)", 0.25, true}, {"np.int64(7)", 7, true},
		{"tensor(0.5, device='cuda:0')", 0.5, true}, {"True", 1, true}, {"nan", math.NaN(), true},
		{"inf", math.Inf(1), true}, {"'text'", 0, false}, {"None", 0, false}, {"[1, 2]", 0, false},
	}
	for _, tc := range tests {
		got, ok := pyNumber(tc.in)
		if ok != tc.ok || (ok && !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want))) {
			t.Errorf("pyNumber(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	m, err := pyDict(`{'a': np.float64(1.5), 'b': 'x, y}', 'c': [1, {'d': 2}], 'e': -3, "f": None}`)
	if err != nil || len(m) != 2 || m["a"] != 1.5 || m["e"] != -3 {
		t.Errorf("pyDict = %v, %v", m, err)
	}
}

func TestParseTornLastLine(t *testing.T) {
	in := "{\"step\":1,\"a\":1}\n{\"step\":2,\"a\":2}\n{\"step\":3,\"a\""
	lg, err := Parse([]byte(in), "x", "")
	if err != nil || len(lg.Records) != 2 || lg.TornLine != 3 {
		t.Fatalf("torn tail: %v, %+v", err, lg)
	}
	// A complete bad line is still an error.
	if _, err := Parse([]byte(in+"\n"), "x", JSONL); err == nil || !strings.Contains(err.Error(), "x:3") {
		t.Errorf("bad complete line: %v", err)
	}
}
