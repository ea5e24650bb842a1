package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// userRow is the record written to every format in the round-trip tests.
type userRow struct {
	Q     string `json:"q" parquet:"q"`
	A     string `json:"a" parquet:"a"`
	Key   string `json:"key" parquet:"key"`
	Level int64  `json:"lvl" parquet:"lvl"`
}

var userRows = []userRow{
	{"What is 1+1?", "2", "p1", 1},
	{`Compute $\frac{1}{2}+\frac{1}{3}$.`, `\frac{5}{6}`, "p2", 3},
	{"Name a root of $x^2=4$.", " -2\n", "p3", 5},
}

var userMap = FieldMap{Problem: "q", Answer: "a", ID: "key", Level: "lvl"}

// checkUserRows compares loaded problems with userRows.
func checkUserRows(t *testing.T, ps []Problem, bench string) {
	t.Helper()
	if len(ps) != len(userRows) {
		t.Fatalf("%d problems, want %d", len(ps), len(userRows))
	}
	for i, r := range userRows {
		p := ps[i]
		want := []string{strings.TrimSpace(r.A)}
		if p.ID != r.Key || p.Question != r.Q || !slices.Equal(p.Gold, want) || p.Level != int(r.Level) || p.Benchmark != bench {
			t.Errorf("row %d: got %+v, want %+v", i, p, r)
		}
	}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFileRoundTrip(t *testing.T) {
	var jsonl strings.Builder
	for _, r := range userRows {
		b, _ := json.Marshal(r)
		jsonl.Write(b)
		jsonl.WriteString("\n\n") // blank lines are skipped
	}
	list, _ := json.MarshalIndent(userRows, "", "  ")

	t.Run("jsonl", func(t *testing.T) {
		ps, err := LoadFile(writeFile(t, "mine.jsonl", jsonl.String()), userMap)
		if err != nil {
			t.Fatal(err)
		}
		checkUserRows(t, ps, "mine")
	})
	t.Run("json", func(t *testing.T) {
		ps, err := LoadFile(writeFile(t, "mine.json", string(list)), userMap)
		if err != nil {
			t.Fatal(err)
		}
		checkUserRows(t, ps, "mine")
	})
	t.Run("json-lines-in-.json", func(t *testing.T) {
		ps, err := LoadFile(writeFile(t, "mine.json", jsonl.String()), userMap)
		if err != nil {
			t.Fatal(err)
		}
		checkUserRows(t, ps, "mine")
	})
	t.Run("parquet", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "mine.parquet")
		if err := parquet.WriteFile(path, userRows); err != nil {
			t.Fatal(err)
		}
		ps, err := LoadFile(path, userMap)
		if err != nil {
			t.Fatal(err)
		}
		checkUserRows(t, ps, "mine")
	})
}

// TestLoadFileParquetNested reads a verl-style Parquet file: the question is a
// chat message list and the answer a nested field.
func TestLoadFileParquetNested(t *testing.T) {
	type msg struct {
		Role    string `parquet:"role"`
		Content string `parquet:"content"`
	}
	type rm struct {
		GroundTruth string `parquet:"ground_truth"`
	}
	type row struct {
		Prompt      []msg   `parquet:"prompt,list"`
		RewardModel rm      `parquet:"reward_model"`
		Score       float64 `parquet:"score"`
	}
	rows := []row{
		{[]msg{{"system", "Think."}, {"user", "1+2?"}}, rm{"3"}, 1.0},
		{[]msg{{"user", "2+2?"}}, rm{"4"}, 2.5},
	}
	path := filepath.Join(t.TempDir(), "verl.parquet")
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	ps, err := LoadFile(path, FieldMap{Problem: "prompt", Answer: "reward_model.ground_truth"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Question != "1+2?" || ps[1].Gold[0] != "4" || ps[0].ID != "verl-000" {
		t.Fatalf("got %+v", ps)
	}
	// A float column works as an answer too.
	ps, err = LoadFile(path, FieldMap{Problem: "prompt", Answer: "score"})
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Gold[0] != "1" || ps[1].Gold[0] != "2.5" {
		t.Fatalf("float answers %q %q", ps[0].Gold, ps[1].Gold)
	}
}

func TestLoadFileAnswerTypes(t *testing.T) {
	body := `{"problem":"a","answer":"x"}
{"problem":"b","answer":42}
{"problem":"c","answer":27.0}
{"problem":"d","answer":["1/2","0.5\n", 0.5]}
{"problem":"e","answer":12345678901234567890}
`
	ps, err := LoadFile(writeFile(t, "types.jsonl", body), FieldMap{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"x"}, {"42"}, {"27"}, {"1/2", "0.5"}, {"12345678901234567890"}}
	for i, w := range want {
		if !slices.Equal(ps[i].Gold, w) {
			t.Errorf("record %d gold %q, want %q", i, ps[i].Gold, w)
		}
	}
	if ps[0].ID != "types-000" || ps[4].ID != "types-004" {
		t.Errorf("default ids %q %q", ps[0].ID, ps[4].ID)
	}
}

func TestLoadFileSolution(t *testing.T) {
	body := `{"problem":"a","answer":"1","sol":{"text":"so \\boxed{1}\n"}}`
	ps, err := LoadFile(writeFile(t, "s.jsonl", body), FieldMap{Solution: "sol.text"})
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Solution != `so \boxed{1}` {
		t.Errorf("solution %q", ps[0].Solution)
	}
	_, err = LoadFile(writeFile(t, "s.jsonl", `{"problem":"a","answer":"1","sol":3}`), FieldMap{Solution: "sol"})
	if err == nil || !strings.Contains(err.Error(), `field "sol"`) {
		t.Errorf("error %v should name field sol", err)
	}
}

func TestLoadFileLevels(t *testing.T) {
	body := `{"problem":"a","answer":"1","level":"Level 3"}
{"problem":"b","answer":"1","level":4.0}
{"problem":"c","answer":"1","level":"2"}
`
	ps, err := LoadFile(writeFile(t, "lv.jsonl", body), FieldMap{Level: "level"})
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Level != 3 || ps[1].Level != 4 || ps[2].Level != 2 {
		t.Errorf("levels %d %d %d", ps[0].Level, ps[1].Level, ps[2].Level)
	}
}

// TestLoadFileErrors checks that bad input names the file, the line or record,
// and the field.
func TestLoadFileErrors(t *testing.T) {
	for _, c := range []struct {
		name, file, body string
		m                FieldMap
		want             []string
	}{
		{"bad-json", "x.jsonl", "{\"problem\":\"a\",\"answer\":\"1\"}\n{oops}\n", FieldMap{}, []string{"x.jsonl:2", "invalid JSON"}},
		{"missing-answer", "x.jsonl", "{\"problem\":\"a\",\"answer\":\"1\"}\n\n{\"problem\":\"b\"}\n", FieldMap{}, []string{"x.jsonl:3", `field "answer"`, "missing"}},
		{"null-answer", "x.jsonl", `{"problem":"a","answer":null}`, FieldMap{}, []string{"x.jsonl:1", `field "answer"`, "null"}},
		{"bool-answer", "x.jsonl", `{"problem":"a","answer":true}`, FieldMap{}, []string{`field "answer"`, "bool"}},
		{"empty-list", "x.jsonl", `{"problem":"a","answer":[]}`, FieldMap{}, []string{`field "answer"`, "empty"}},
		{"number-problem", "x.jsonl", `{"problem":5,"answer":"1"}`, FieldMap{}, []string{`field "problem"`, "a number"}},
		{"mapped-field", "x.jsonl", `{"problem":"a","answer":"1"}`, FieldMap{Problem: "question"}, []string{"x.jsonl:1", `field "question"`, "missing"}},
		{"bad-level", "x.jsonl", `{"problem":"a","answer":"1","lv":"hard"}`, FieldMap{Level: "lv"}, []string{`field "lv"`, "hard"}},
		{"not-object", "x.jsonl", "\"text\"\n", FieldMap{}, []string{"x.jsonl:1", "object"}},
		{"json-record", "x.json", `[{"problem":"a","answer":"1"},{"problem":"b","answer":{}}]`, FieldMap{}, []string{"x.json", "record 1", `field "answer"`}},
		{"json-truncated", "x.json", `[{"problem":"a","answer":"1"},`, FieldMap{}, []string{"x.json", "record 1"}},
		{"duplicate-id", "x.jsonl", "{\"problem\":\"a\",\"answer\":\"1\",\"id\":7}\n{\"problem\":\"b\",\"answer\":\"1\",\"id\":7}\n", FieldMap{ID: "id"}, []string{"line 2", `duplicate id "7"`, "line 1"}},
		{"pretty-object", "x.json", "{\n  \"problem\": \"a\",\n  \"answer\": \"1\"\n}\n", FieldMap{}, []string{"x.json:1", "list of objects"}},
		{"empty-file", "x.jsonl", "\n\n", FieldMap{}, []string{"x.jsonl", "no problems"}},
		{"bad-parquet", "x.parquet", "PAR1 not really", FieldMap{}, []string{"x.parquet", "parquet"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadFile(writeFile(t, c.file, c.body), c.m)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadFileParquetMissingField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.parquet")
	if err := parquet.WriteFile(path, userRows); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path, FieldMap{Problem: "q", Answer: "answer"})
	if err == nil || !strings.Contains(err.Error(), "row 0") || !strings.Contains(err.Error(), `field "answer"`) {
		t.Fatalf("error %v should name row 0 and field answer", err)
	}
}

func TestAnswerStrings(t *testing.T) {
	for _, c := range []struct {
		in   any
		want []string
	}{
		{json.Number("025"), []string{"025"}},
		{json.Number("1e3"), []string{"1000"}},
		{json.Number("0.25"), []string{"0.25"}},
		{3.0, []string{"3"}},
		{int64(-7), []string{"-7"}},
		{[]any{"a\n", "a", " b "}, []string{"a", "b"}},
		{[]string{"x", "x"}, []string{"x"}},
	} {
		got, err := AnswerStrings(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("AnswerStrings(%#v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []any{nil, "  ", []any{}, []any{[]any{"x"}}, map[string]any{}, true} {
		if got, err := AnswerStrings(bad); err == nil {
			t.Errorf("AnswerStrings(%#v) = %q, want an error", bad, got)
		}
	}
}

func TestStripDollars(t *testing.T) {
	for in, want := range map[string]string{
		"$2^{1009}$":    "2^{1009}",
		"$69$,$84$":     "69,84",
		"2":             "2",
		`$\$5$`:         `\$5`,
		" $x$ and $y$ ": "x and y",
	} {
		if got := stripDollars(in); got != want {
			t.Errorf("stripDollars(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzLoadFile checks that any file content either loads into well-formed
// problems or fails with an error naming the file, never panicking.
func FuzzLoadFile(f *testing.F) {
	f.Add(`{"problem":"a","answer":"1"}`, ".jsonl")
	f.Add(`[{"problem":"a","answer":[1,"2"]}]`, ".json")
	f.Add(`{"problem":[{"role":"user","content":"x"}],"answer":1e3}`, ".json")
	f.Add("PAR1\x00\x00", ".parquet")
	f.Add(`[{"problem":"a"`, ".json")
	f.Fuzz(func(t *testing.T, body, ext string) {
		if ext != ".json" && ext != ".jsonl" && ext != ".parquet" {
			ext = ".jsonl"
		}
		path := filepath.Join(t.TempDir(), "f"+ext)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		ps, err := LoadFile(path, FieldMap{})
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for _, p := range ps {
			if p.ID == "" || strings.TrimSpace(p.Question) == "" || len(p.Gold) == 0 {
				t.Errorf("malformed problem %+v", p)
			}
		}
	})
}
