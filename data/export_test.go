package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/terse-dev/terse/bench"
)

func exportRecs() []Record {
	a := rec("a", "deepscaler", 2, 8, 10, 20, 30, 40, 50, 60)
	a.Prompt = "What is a?\nPlease reason step by step."
	a.Problem.Meta = map[string]any{"where": "line 1", "subject": "algebra"}
	b := rec("b", "lab-arith", 0, 8, 7)
	b.Problem.Gold = []string{"1/2", "0.5"}
	return []Record{a, b}
}

// TestExportVerlSchema reads the parquet back without terse's row type:
// the schema must be what pyarrow maps to verl's expected pandas columns
// (prompt: list<struct<role: string, content: string>>, reward_model and
// extra_info: struct), and a generic row read must give the same values.
func TestExportVerlSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := Export(&buf, exportRecs(), ExportOptions{Format: FormatVerl, System: "Be brief."}); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 2 {
		t.Fatalf("rows = %d, want 2", f.NumRows())
	}
	sch := f.Schema()
	type want struct {
		path    string
		logical string // "" for none, else String(), "LIST", "INT64"
		kind    parquet.Kind
		leaf    bool
	}
	str := func(p string) want { return want{p, "STRING", parquet.ByteArray, true} }
	checks := []want{
		str("data_source"),
		{"prompt", "LIST", 0, false},
		str("prompt.list.element.role"),
		str("prompt.list.element.content"),
		str("ability"),
		{"reward_model", "", 0, false},
		str("reward_model.style"),
		str("reward_model.ground_truth"),
		{"extra_info", "", 0, false},
		{"extra_info.index", "INT64", parquet.Int64, true},
		{"extra_info.pass_rate", "", parquet.Double, true},
		str("extra_info.split"),
		{"extra_info.gold", "LIST", 0, false},
		str("extra_info.gold.list.element"),
	}
	for _, c := range checks {
		node, ok := lookupNode(sch, strings.Split(c.path, "."))
		if !ok {
			t.Errorf("column %s missing from schema:\n%s", c.path, sch)
			continue
		}
		if node.Leaf() != c.leaf {
			t.Errorf("%s: leaf = %v, want %v", c.path, node.Leaf(), c.leaf)
			continue
		}
		lt := node.Type().LogicalType()
		switch c.logical {
		case "STRING":
			if _, ok := logical(lt).(*format.StringType); !ok {
				t.Errorf("%s: logical type %v, want STRING", c.path, lt)
			}
		case "LIST":
			if _, ok := logical(lt).(*format.ListType); !ok {
				t.Errorf("%s: logical type %v, want LIST", c.path, lt)
			}
		case "INT64":
			if it, ok := logical(lt).(*format.IntType); ok && (it.BitWidth != 64 || !it.IsSigned) {
				t.Errorf("%s: logical type %v, want signed 64-bit", c.path, lt)
			}
		}
		if c.leaf && node.Type().Kind() != c.kind {
			t.Errorf("%s: physical %v, want %v", c.path, node.Type().Kind(), c.kind)
		}
		if !c.leaf && c.logical == "" && logical(lt) != nil {
			t.Errorf("%s: a struct column must be a plain group, got %v", c.path, lt)
		}
	}
	// The LIST groups follow the three-level layout pyarrow reads as a list:
	// <list> (LIST) { repeated group list { element } }.
	for _, p := range []string{"prompt.list", "extra_info.gold.list"} {
		n, ok := lookupNode(sch, strings.Split(p, "."))
		if !ok || !n.Repeated() {
			t.Errorf("%s: want a repeated group (three-level LIST)", p)
		}
	}

	r := parquet.NewReader(bytes.NewReader(buf.Bytes()))
	var rows []map[string]any
	for {
		row := map[string]any{}
		if err := r.Read(&row); err != nil {
			break
		}
		rows = append(rows, row)
	}
	if len(rows) != 2 {
		t.Fatalf("generic read gave %d rows", len(rows))
	}
	wantPrompt := []any{
		map[string]any{"role": "system", "content": "Be brief."},
		map[string]any{"role": "user", "content": "What is a?\nPlease reason step by step."},
	}
	if !reflect.DeepEqual(rows[0]["prompt"], wantPrompt) {
		t.Errorf("prompt = %#v\nwant %#v", rows[0]["prompt"], wantPrompt)
	}
	if rows[0]["data_source"] != "deepscaler" || rows[0]["ability"] != "math" {
		t.Errorf("row 0 = %v", rows[0])
	}
	rm := rows[1]["reward_model"].(map[string]any)
	if rm["style"] != "rule" || rm["ground_truth"] != "1/2" {
		t.Errorf("reward_model = %v", rm)
	}
	ei := rows[1]["extra_info"].(map[string]any)
	if ei["index"] != int64(1) || ei["pass_rate"] != 0.125 || ei["id"] != "b" || !reflect.DeepEqual(ei["gold"], []any{"1/2", "0.5"}) {
		t.Errorf("extra_info = %#v", ei)
	}
	// Without a template override the user message is the profiled prompt,
	// falling back to the question.
	if got := rows[1]["prompt"].([]any)[1].(map[string]any)["content"]; got != "What is b?" {
		t.Errorf("row 1 user content = %q", got)
	}
}

// logical returns the annotation of a logical type, nil for none.
func logical(lt *format.LogicalType) format.LogicalTypeValue {
	if lt == nil {
		return nil
	}
	return lt.Value
}

// lookupNode walks a schema by field names.
func lookupNode(n parquet.Node, path []string) (parquet.Node, bool) {
	for _, name := range path {
		var next parquet.Node
		for _, f := range n.Fields() {
			if f.Name() == name {
				next = f
			}
		}
		if next == nil {
			return nil, false
		}
		n = next
	}
	return n, true
}

func TestExportJSONL(t *testing.T) {
	recs := exportRecs()
	lines := func(o ExportOptions) []map[string]any {
		t.Helper()
		var buf bytes.Buffer
		if err := Export(&buf, recs, o); err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			out = append(out, m)
		}
		return out
	}
	// Labels are lists in every row, one gold or several: a column that
	// is a string in one row and a list in another is refused by HF
	// datasets' JSON loader (see exportJSONL).
	o := lines(ExportOptions{Format: FormatOpenRLHF})
	if o[0]["prompt"] != "What is a?\nPlease reason step by step." || !reflect.DeepEqual(o[0]["label"], []any{"a"}) {
		t.Errorf("openrlhf default keys: %v", o[0])
	}
	if !reflect.DeepEqual(o[1]["label"], []any{"1/2", "0.5"}) {
		t.Errorf("openrlhf label with alternatives: %v", o[1]["label"])
	}
	o = lines(ExportOptions{Format: FormatOpenRLHF, PromptKey: "input", LabelKey: "answer", Messages: true, Template: "Q: {question}"})
	if !reflect.DeepEqual(o[0]["answer"], []any{"a"}) || !reflect.DeepEqual(o[0]["input"], []any{map[string]any{"role": "user", "content": "Q: What is a?"}}) {
		t.Errorf("openrlhf custom keys + messages: %v", o[0])
	}
	o = lines(ExportOptions{Format: FormatTRL})
	if o[0]["solution"] != "a" || !reflect.DeepEqual(o[0]["prompt"], []any{map[string]any{"role": "user", "content": "What is a?\nPlease reason step by step."}}) {
		t.Errorf("trl: %v", o[0])
	}
	o = lines(ExportOptions{Format: FormatTRL, Text: true, SolutionKey: "answer"})
	if o[1]["prompt"] != "What is b?" || o[1]["pass_rate"] != 0.125 {
		t.Errorf("trl text: %v", o[1])
	}
}

// TestExportTerse checks that terse's own format is bench.Problem JSON
// that bench.LoadFile reads back with the field map of its JSON names.
func TestExportTerse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "easy.jsonl")
	if err := ExportFile(path, exportRecs(), ExportOptions{Format: FormatTerse}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var p bench.Problem
	if err := json.Unmarshal(bytes.SplitN(b, []byte("\n"), 2)[0], &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != "a" || p.Question != "What is a?" || p.Meta["pass_rate"] != 0.75 || p.Meta["subject"] != "algebra" || p.Meta["where"] != nil {
		t.Errorf("terse line 1 = %+v", p)
	}
	ps, err := bench.LoadFile(path, bench.FieldMap{Problem: "question", Answer: "gold", ID: "id"}) // level is omitted when 0, so it is not mapped
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[1].ID != "b" || !reflect.DeepEqual(ps[1].Gold, []string{"1/2", "0.5"}) {
		t.Errorf("LoadFile read back %+v", ps)
	}
}

func TestExportErrors(t *testing.T) {
	recs := exportRecs()
	if err := Export(&bytes.Buffer{}, recs, ExportOptions{Format: "csv"}); err == nil || !strings.Contains(err.Error(), "verl") {
		t.Errorf("unknown format: %v", err)
	}
	recs[1].Problem.Gold = nil
	if err := Export(&bytes.Buffer{}, recs, ExportOptions{Format: FormatVerl}); err == nil || !strings.Contains(err.Error(), "b has no gold") {
		t.Errorf("no gold: %v", err)
	}
}

// hyparquetDir finds the hyparquet package ($TERSE_HYPARQUET, else where
// scripts/fetch-hyparquet.sh puts it) and node. Missing, the test fails under
// CI=true and skips otherwise.
func hyparquetDir(t *testing.T) (node, dir string) {
	t.Helper()
	dir = os.Getenv("TERSE_HYPARQUET")
	if dir == "" {
		dir = filepath.Join("..", ".cache", "hyparquet", "node_modules", "hyparquet")
	}
	node, err := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(dir, "src", "node.js"))
	if err != nil || statErr != nil {
		msg := fmt.Sprintf("node or hyparquet not found (%v; %v): run scripts/fetch-hyparquet.sh (or set TERSE_HYPARQUET)", err, statErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return node, abs
}

// TestExportVerlReadByHyparquet reads terse's verl parquet with an
// independent implementation (hyparquet, JavaScript): every row, nested
// prompt list and struct column must come back as the rows terse wrote.
func TestExportVerlReadByHyparquet(t *testing.T) {
	node, dir := hyparquetDir(t)
	recs := exportRecs()
	o := ExportOptions{Format: FormatVerl, System: "Be brief."}
	path := filepath.Join(t.TempDir(), "train.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Export(f, recs, o); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, filepath.Join("testdata", "read_parquet.mjs"), dir, path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("hyparquet: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("hyparquet output: %v\n%s", err, out)
	}
	wb, _ := json.Marshal(VerlRows(recs, o))
	if err := json.Unmarshal(wb, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("hyparquet read\n%s\nterse wrote\n%s", out, wb)
	}
	if rows := got.([]any); len(rows) != 2 || len(rows[0].(map[string]any)["prompt"].([]any)) != 2 {
		t.Fatalf("want 2 rows with system + user messages, got %s", out)
	}
}

// TestOpenRLHFLabelOneType: every row of an OpenRLHF file has a label of
// the same JSON kind, whether a problem has one gold answer or several
// and whether its per-prompt L_T could be computed. Before, a single-gold
// label was a string and a multi-gold one a list (and, with a quantile, a
// row without L_T a bare string beside label objects), which HF datasets'
// JSON loader refuses ("Failed to convert pandas DataFrame to Arrow
// Table"; src/datasets/packaged_modules/json/json.py at 573a7712), the
// loader OpenRLHF reads prompt files with.
func TestOpenRLHFLabelOneType(t *testing.T) {
	recs := exportRecs()
	noLimit := rec("c", "s", 0, 8) // unsolved and no rollout limit: no L_T
	noLimit.RolloutLimit = 0
	recs = append(recs, noLimit)
	kind := func(v any) string {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if _, ok := e.(string); !ok {
					return "list of mixed"
				}
			}
			return "list of strings"
		case map[string]any:
			return "object with gold " + fmt.Sprintf("%T", x["gold"])
		default:
			return fmt.Sprintf("%T", v)
		}
	}
	for _, o := range []ExportOptions{{Format: FormatOpenRLHF}, {Format: FormatOpenRLHF, TargetQuantile: 0.5}, {Format: FormatOpenRLHF, Eval: true}} {
		var buf bytes.Buffer
		if err := Export(&buf, recs, o); err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var row map[string]any
			if err := json.Unmarshal([]byte(l), &row); err != nil {
				t.Fatal(err)
			}
			kinds[kind(row["label"])]++
		}
		if len(kinds) != 1 {
			t.Errorf("quantile %v eval %v: label kinds %v, want one kind in every row", o.TargetQuantile, o.Eval, kinds)
		}
	}
}
