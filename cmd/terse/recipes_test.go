package main

// Tests of the recipes in integrations/{verl,openrlhf}/recipes (issue 18,
// item 16). Nobody here has the GPUs to run them, so they test what can be
// tested without: every trainer config key or flag exists in the pinned
// upstream version (key lists extracted from upstream source, stored with
// their commit in each recipes/testdata), every terse command of run.sh
// parses with this build's flags, and the files terse writes carry the
// columns the trainer's dataset code reads.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/data"
)

var recipeDirs = []string{
	"../../integrations/verl/recipes/qwen3-0.6b",
	"../../integrations/openrlhf/recipes/qwen3-0.6b",
}

// recipeLines returns the non-comment, non-empty lines of path.
func recipeLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// upstreamKeys reads a key list from testdata (comment lines skipped).
func upstreamKeys(t *testing.T, path string) map[string]string {
	keys := map[string]string{}
	for _, l := range recipeLines(t, path) {
		k, kind, _ := strings.Cut(l, " ")
		keys[k] = kind
	}
	if len(keys) < 100 {
		t.Fatalf("%s: only %d keys", path, len(keys))
	}
	return keys
}

// TestRecipeVerlKeys: every override of the verl recipe names a key of
// verl's PPO trainer config at b178a3cd; one with a leading "+" (a new key)
// names none, since Hydra refuses both mistakes at launch.
func TestRecipeVerlKeys(t *testing.T) {
	keys := upstreamKeys(t, "../../integrations/verl/recipes/testdata/verl-ppo-trainer-keys-b178a3cd.txt")
	lines := recipeLines(t, filepath.Join(recipeDirs[0], "train.args"))
	for _, l := range lines {
		k, _, ok := strings.Cut(l, "=")
		if !ok {
			t.Errorf("train.args: %q is not key=value", l)
			continue
		}
		if nk, isNew := strings.CutPrefix(k, "+"); isNew {
			if _, exists := keys[nk]; exists {
				t.Errorf("train.args: +%s adds a key verl already has (Hydra refuses it): drop the +", nk)
			}
			if _, parent := keys[nk[:strings.LastIndex(nk, ".")]]; !parent && strings.Count(nk, ".") > 1 {
				// reward_model.reward_kwargs.url: its grandparent must exist.
				if _, gp := keys[strings.SplitN(nk, ".", 2)[0]]; !gp {
					t.Errorf("train.args: +%s under no known section", nk)
				}
			}
			continue
		}
		if _, exists := keys[k]; !exists {
			t.Errorf("train.args: %s is not a key of verl's ppo_trainer config at b178a3cd", k)
		}
	}
	if len(lines) < 20 {
		t.Fatalf("train.args: %d overrides", len(lines))
	}
}

// TestRecipeOpenRLHFFlags: every flag of the OpenRLHF recipe is a flag of
// train_ppo_ray.py at 3c3be62, switches take no value and the others one.
func TestRecipeOpenRLHFFlags(t *testing.T) {
	flags := upstreamKeys(t, "../../integrations/openrlhf/recipes/testdata/openrlhf-train-ppo-ray-flags-3c3be62.txt")
	lines := recipeLines(t, filepath.Join(recipeDirs[1], "train.args"))
	for _, l := range lines {
		f := strings.Fields(l)
		kind, ok := flags[f[0]]
		switch {
		case !ok:
			t.Errorf("train.args: %s is not a flag of train_ppo_ray.py at 3c3be62", f[0])
		case kind == "bool" && len(f) != 1:
			t.Errorf("train.args: %s is a switch but has values %v", f[0], f[1:])
		case kind != "bool" && len(f) < 2:
			t.Errorf("train.args: %s needs a value", f[0])
		}
	}
	for _, must := range []string{"--reward.remote_url", "--rollout.n_samples_per_prompt", "--eval.n_samples_per_prompt"} {
		if _, ok := flags[must]; !ok {
			t.Errorf("flag list lacks %s", must)
		}
	}
}

// shellWords splits one shell command line: quotes removed, $VAR and
// $(...) kept as placeholders (their values do not change how flags parse).
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	in := false
	quote := byte(0)
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote && depth == 0:
			quote = 0
		case quote == 0 && depth == 0 && (c == '"' || c == '\''):
			quote, in = c, true
		case c == '(' && i > 0 && s[i-1] == '$':
			depth++
			cur.WriteByte(c)
		case c == ')' && depth > 0:
			depth--
			cur.WriteByte(c)
		case quote == 0 && depth == 0 && (c == ' ' || c == '\t'):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// TestRecipeCommandsParse: every terse command of each run.sh names a
// subcommand of this build and parses with its flags.
func TestRecipeCommandsParse(t *testing.T) {
	for _, dir := range recipeDirs {
		raw, err := os.ReadFile(filepath.Join(dir, "run.sh"))
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.ReplaceAll(string(raw), "\\\n", " ")
		n := 0
		for _, l := range strings.Split(joined, "\n") {
			l = strings.TrimSpace(l)
			if !strings.HasPrefix(l, "terse ") {
				continue
			}
			l, _, _ = strings.Cut(l, " &") // background
			args := shellWords(l)[1:]
			root := newRootCmd()
			cmd, rest, err := root.Find(args)
			if err != nil || cmd == root {
				t.Errorf("%s/run.sh: %q: no such command (%v)", dir, l, err)
				continue
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("%s/run.sh: %q: %v", dir, l, err)
			}
			n++
		}
		if n < 5 {
			t.Errorf("%s/run.sh: %d terse commands found, want ≥ 5", dir, n)
		}
	}
}

// TestRecipeDataSchema: the files the recipes' select commands write carry
// what the trainers' dataset code reads. verl (b178a3cd,
// verl/utils/dataset/rl_dataset.py and the reward managers): the
// data.prompt_key column (a list of {role, content}), data.reward_fn_key,
// reward_model.ground_truth, extra_info.index. OpenRLHF (3c3be62,
// openrlhf/datasets/prompts_dataset.py preprocess_data): data[input_key] a
// message list under --data.apply_chat_template, data[label_key] passed as
// is to the remote reward service.
func TestRecipeDataSchema(t *testing.T) {
	recs := []data.Record{{Benchmark: "dsr-train-math", ID: "1", Source: "dsr", RolloutLimit: 8192, Samples: 8, Correct: 6,
		PassRate: 0.75, CorrectLengths: []int{900, 1200}, Prompt: "What is 1+1?",
		Problem: bench.Problem{Benchmark: "dsr-train-math", ID: "1", Question: "What is 1+1?", Gold: []string{"2"}}}}
	overrides := map[string]string{}
	for _, l := range recipeLines(t, filepath.Join(recipeDirs[0], "train.args")) {
		k, v, _ := strings.Cut(l, "=")
		overrides[k] = v
	}
	var buf bytes.Buffer
	if err := data.Export(&buf, recs, data.ExportOptions{Format: data.FormatVerl}); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range [][]string{{overrides["data.prompt_key"], "list", "element", "role"}, {overrides["data.reward_fn_key"]},
		{"reward_model", "ground_truth"}, {"extra_info", "index"}, {"extra_info", "gold", "list", "element"}} {
		if _, ok := f.Schema().Lookup(path...); !ok {
			t.Errorf("verl parquet has no column %s", strings.Join(path, "."))
		}
	}
	flag := map[string]string{}
	for _, l := range recipeLines(t, filepath.Join(recipeDirs[1], "train.args")) {
		k, v, _ := strings.Cut(l, " ")
		flag[k] = v
	}
	buf.Reset()
	if err := data.Export(&buf, recs, data.ExportOptions{Format: data.FormatOpenRLHF, Messages: true, Eval: true}); err != nil {
		t.Fatal(err)
	}
	var row map[string]any
	if err := json.Unmarshal(buf.Bytes(), &row); err != nil {
		t.Fatal(err)
	}
	msgs, ok := row[flag["--data.input_key"]].([]any)
	if !ok || len(msgs) == 0 || msgs[0].(map[string]any)["role"] != "user" {
		t.Errorf("openrlhf row %v: %s is not a message list", row, flag["--data.input_key"])
	}
	if lab, ok := row[flag["--data.label_key"]].(map[string]any); !ok || lab["eval"] != true {
		t.Errorf("openrlhf eval row %v: %s is not an eval label object", row, flag["--data.label_key"])
	}
}
