package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/terse-dev/terse/bench"
)

// concatRecs returns three exports that differ the way benchmark files do:
// one gold and no level (GSM8K-like), several golds and a level (Minerva-
// like, per-prompt L_T on), and a code problem (tests, no gold).
func concatRecs() [][]Record {
	gsm := rec("g1", "gsm8k", 0, 8, 40, 50)
	gsm2 := rec("g2", "gsm8k", 0, 8)
	minerva := rec("m1", "minerva", 4, 8, 300, 500, 700)
	minerva.Problem.Gold = []string{`\frac{1}{2}`, "0.5", "1/2"}
	minerva.RolloutLimit = 1000
	code := rec("c1", "livecodebench", 0, 8, 900)
	code.Problem.Gold = nil
	code.Problem.Tests = &bench.CodeTests{Language: "python", Style: "stdin"}
	return [][]Record{{gsm, gsm2}, {minerva}, {code}}
}

// TestExportVerlConcat checks item 3 of issue 18: terse's verl files of
// different benchmarks load as one dataset the way verl does it. verl's
// RLHFDataset (verl/utils/dataset/rl_dataset.py at b178a3cd,
// _read_files_and_tokenize) loads every file of data.train_files /
// data.val_files with datasets.load_dataset("parquet") and joins them with
// datasets.concatenate_datasets, which refuses files whose features
// (column names and types, nested ones included) cannot be aligned. Read
// by hyparquet (independent of terse's writer), every file must have the
// same schema, element for element — stricter than alignment. The
// concatenated rows then restart extra_info.index at 0 in every file, and
// terse_reward.prompt_identity (integrations/verl) must still tell every
// prompt apart.
func TestExportVerlConcat(t *testing.T) {
	node, dir := hyparquetDir(t)
	tmp := t.TempDir()
	var files []string
	var want []VerlRow
	for i, recs := range concatRecs() {
		o := ExportOptions{Format: FormatVerl}
		if i == 1 {
			o.TargetQuantile = 0.5 // target_len set in one file only: same schema
		}
		path := filepath.Join(tmp, recs[0].Source+".parquet")
		if err := ExportFile(path, recs, o); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
		want = append(want, VerlRows(recs, o)...)
	}
	out, err := exec.Command(node, append([]string{filepath.Join("testdata", "concat_parquet.mjs"), dir}, files...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("hyparquet: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got struct {
		Schemas [][]map[string]any `json:"schemas"`
		Rows    []map[string]any   `json:"rows"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("hyparquet output: %v\n%s", err, out)
	}
	for i := 1; i < len(got.Schemas); i++ {
		if !reflect.DeepEqual(got.Schemas[i], got.Schemas[0]) {
			a, _ := json.Marshal(got.Schemas[0])
			b, _ := json.Marshal(got.Schemas[i])
			t.Errorf("%s and %s have different schemas; datasets.concatenate_datasets would refuse them:\n%s\n%s",
				files[0], files[i], a, b)
		}
	}
	var wantRows []map[string]any
	wb, _ := json.Marshal(want)
	if err := json.Unmarshal(wb, &wantRows); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Rows, wantRows) {
		t.Fatalf("concatenated rows differ from what terse wrote:\n%s\n%s", out, wb)
	}
	// Every alternative gold is carried (item 2), target_len where asked.
	m := got.Rows[2]["extra_info"].(map[string]any)
	if g := m["gold"].([]any); len(g) != 3 || m["target_len"].(float64) != 500 {
		t.Errorf("minerva row: extra_info.gold %v, target_len %v; want 3 golds, target 500 (median of 300, 500, 700)", g, m["target_len"])
	}
	if idx := []any{got.Rows[0]["extra_info"].(map[string]any)["index"], got.Rows[2]["extra_info"].(map[string]any)["index"],
		got.Rows[3]["extra_info"].(map[string]any)["index"]}; idx[0] != idx[1] || idx[1] != idx[2] {
		t.Fatalf("indexes %v: the test needs each file's index to restart at 0", idx)
	}
	verlPromptIdentities(t, tmp, got.Rows)
}

// verlPromptIdentities runs integrations/verl's prompt_identity (python3)
// on the concatenated rows: distinct prompts must get distinct keys.
func verlPromptIdentities(t *testing.T, tmp string, rows []map[string]any) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: prompt_identity not checked")
		return
	}
	integ, err := filepath.Abs(filepath.Join("..", "integrations", "verl"))
	if err != nil {
		t.Fatal(err)
	}
	rowsFile := filepath.Join(tmp, "rows.json")
	b, _ := json.Marshal(rows)
	if err := os.WriteFile(rowsFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `import json, sys
sys.path.insert(0, sys.argv[1])
import terse_reward
rows = json.load(open(sys.argv[2]))
print(json.dumps([terse_reward.prompt_identity(r["data_source"], r["reward_model"]["ground_truth"], r["extra_info"]) for r in rows]))`
	cmd := exec.Command(py, "-c", script, integ, rowsFile)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("prompt_identity: %v\n%s", err, out)
	}
	var keys []string
	if err := json.Unmarshal(out, &keys); err != nil {
		t.Fatalf("prompt_identity output %q: %v", out, err)
	}
	seen := map[string]int{}
	for i, k := range keys {
		if j, ok := seen[k]; ok {
			t.Errorf("rows %d and %d (different prompts) share the group key %s", j, i, k)
		}
		seen[k] = i
		if !strings.Contains(k, ":") {
			t.Errorf("key %q", k)
		}
	}
}

func TestPromptTargetLen(t *testing.T) {
	r := rec("a", "s", 0, 8, 100, 200, 300, 400)
	r.RolloutLimit = 1000
	for _, tc := range []struct {
		q    float64
		cap  int
		want int
	}{
		{0.5, 0, 200}, {0.75, 0, 300}, {1, 0, 400}, {0.01, 0, 100}, {0.9, 350, 350},
	} {
		if got := PromptTargetLen(&r, tc.q, tc.cap); got != tc.want {
			t.Errorf("q %v cap %d: %d, want %d", tc.q, tc.cap, got, tc.want)
		}
	}
	unsolved := rec("b", "s", 0, 8)
	if got := PromptTargetLen(&unsolved, 0.5, 0); got != unsolved.RolloutLimit {
		t.Errorf("unsolved: %d, want the rollout limit %d", got, unsolved.RolloutLimit)
	}
	if err := Export(&strings.Builder{}, []Record{r}, ExportOptions{Format: FormatTerse, TargetQuantile: 1.5}); err == nil {
		t.Error("quantile 1.5 accepted")
	}
	// OpenRLHF labels: a label object with target_len and eval.
	var sb strings.Builder
	if err := Export(&sb, []Record{r}, ExportOptions{Format: FormatOpenRLHF, TargetQuantile: 0.5, Eval: true}); err != nil {
		t.Fatal(err)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(sb.String()), &row); err != nil {
		t.Fatal(err)
	}
	if l, ok := row["label"].(map[string]any); !ok || fmt.Sprint(l["gold"]) != "[a]" || l["target_len"] != 200.0 || l["eval"] != true {
		t.Errorf("openrlhf label %v, want {gold: [a], target_len: 200, eval: true}", row["label"])
	}
	sb.Reset()
	if err := Export(&sb, []Record{r}, ExportOptions{Format: FormatTerse, TargetQuantile: 0.5}); err != nil {
		t.Fatal(err)
	}
	var p bench.Problem
	if err := json.Unmarshal([]byte(sb.String()), &p); err != nil {
		t.Fatal(err)
	}
	if p.Meta["target_len"] != 200.0 {
		t.Errorf("terse meta.target_len = %v, want 200", p.Meta["target_len"])
	}
}
