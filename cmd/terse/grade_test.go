package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/grade/batch"
)

// runGradeCLI runs `terse grade args…` in-process with the given stdin.
func runGradeCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newGradeCmd()
	var out, errb bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err = cmd.Execute()
	return out.String(), errb.String(), err
}

func TestGradeOne(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		correct bool
	}{
		{"boxed", []string{"--gold", "42", "--pred", `so the answer is \boxed{42}.`}, true},
		{"wrong", []string{"--gold", "42", "--pred", `\boxed{41}`}, false},
		{"alternatives", []string{"--gold", "7", "--gold", "42", "--pred", `\boxed{42}`}, true},
		{"extracted", []string{"--gold", "42", "--pred", "42", "--extracted"}, true},
		{"no-answer", []string{"--gold", "42", "--pred", "I do not know."}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := runGradeCLI(t, "", append(c.args, "--json")...)
			if err != nil {
				t.Fatal(err)
			}
			var v struct {
				Correct   *bool  `json:"correct"`
				Reason    string `json:"reason"`
				Extracted string `json:"extracted"`
			}
			if err := json.Unmarshal([]byte(out), &v); err != nil || v.Correct == nil {
				t.Fatalf("output %q is not a verdict: %v", out, err)
			}
			if *v.Correct != c.correct || v.Reason == "" {
				t.Errorf("verdict %+v, want correct=%v with a reason", v, c.correct)
			}
		})
	}
	out, _, err := runGradeCLI(t, `thinking… \boxed{42}`, "--gold", "42", "--pred", "-")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "verdict:   correct") || !strings.Contains(out, "extracted: 42") {
		t.Errorf("text output %q", out)
	}
}

func TestGradeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--gold", "1"},
		{"--pred", "1"},
		{"--gold", "1", "--pred", "1", "--self-check"},
		{"--jsonl", "x", "--self-check"},
		{"--out", "x", "--self-check"},
		{"--bench", "aime24"},
		{"--self-check", "--bench", "nope"},
		{"--self-check", "--bench", "gsm8k"}, // not embedded, no --data-dir
		{"--self-check", "--workers", "0"},
	} {
		_, _, err := runGradeCLI(t, "", args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("grade %q: error %v, want a usage error", args, err)
		}
	}
}

// gradeJSONLFile writes lines to a temp file and runs --jsonl on it.
func gradeJSONLFile(t *testing.T, lines []string, args ...string) ([]map[string]any, string, error) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	out := filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runGradeCLI(t, "", append([]string{"--jsonl", in, "--out", out}, args...)...)
	if err != nil {
		return nil, stderr, err
	}
	b, rerr := os.ReadFile(out)
	if rerr != nil {
		t.Fatal(rerr)
	}
	var recs []map[string]any
	for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("output line %d %q: %v", i+1, l, err)
		}
		recs = append(recs, m)
	}
	return recs, stderr, nil
}

func TestGradeJSONLRoundTrip(t *testing.T) {
	const n = 600
	var lines []string
	for i := range n {
		var gold any = fmt.Sprint(i)
		switch i % 3 {
		case 1:
			gold = i // a number
		case 2:
			gold = []any{"x", fmt.Sprint(i)} // alternatives
		}
		resp := fmt.Sprintf(`step… \boxed{%d}`, i)
		if i%4 == 0 {
			resp = `\boxed{-1}` // wrong
		}
		b, _ := json.Marshal(map[string]any{"id": i, "gold": gold, "response": resp, "meta": map[string]any{"big": json.Number("12345678901234567890"), "k": []int{1, 2}}})
		lines = append(lines, string(b))
		if i == 10 {
			lines = append(lines, "") // blank lines are skipped
		}
	}
	recs, stderr, err := gradeJSONLFile(t, lines, "--workers", "4")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d output lines, want %d", len(recs), n)
	}
	correct := 0
	for i, r := range recs {
		if r["id"] != json.Number(fmt.Sprint(i)) {
			t.Fatalf("line %d has id %v: order not kept", i, r["id"])
		}
		if _, ok := r["response"].(string); !ok || r["gold"] == nil {
			t.Fatalf("line %d lost its fields: %v", i, r)
		}
		meta, _ := r["meta"].(map[string]any)
		if meta["big"] != json.Number("12345678901234567890") {
			t.Fatalf("line %d: nested number changed: %v", i, meta)
		}
		want := i%4 != 0
		if r["correct"] != want || r["reason"] == "" {
			t.Errorf("line %d: correct=%v reason=%v extracted=%v, want correct=%v", i, r["correct"], r["reason"], r["extracted"], want)
		}
		if want {
			correct++
			if r["extracted"] != fmt.Sprint(i) {
				t.Errorf("line %d: extracted %v", i, r["extracted"])
			}
		}
	}
	if !strings.Contains(stderr, fmt.Sprintf("graded %d lines", n)) || !strings.Contains(stderr, fmt.Sprintf("%d correct", correct)) {
		t.Errorf("summary %q", stderr)
	}
}

// TestGradeJSONLKeyOrder checks that an input line keeps its bytes and key
// order, and that existing verdict keys are replaced rather than duplicated.
func TestGradeJSONLKeyOrder(t *testing.T) {
	out, _, err := runGradeCLI(t, "{\"z\":1.50, \"response\":\"\\\\boxed{2}\",\"gold\":2}\n{}\n{\"gold\":\"2\",\"response\":\"2\",\"correct\":\"old\"}\n", "--jsonl", "-", "--skip-bad")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("output %q", out)
	}
	if want := `{"z":1.50, "response":"\\boxed{2}","gold":2,"correct":true,`; !strings.HasPrefix(lines[0], want) {
		t.Errorf("line 1 = %s, want prefix %s", lines[0], want)
	}
	if !strings.HasPrefix(lines[1], `{"correct":false,"reason":"bad_input"`) {
		t.Errorf("line 2 = %s", lines[1])
	}
	if strings.Count(lines[2], `"correct"`) != 1 || !strings.Contains(lines[2], `"correct":true`) {
		t.Errorf("line 3 = %s", lines[2])
	}
}

func TestGradeJSONLBadInput(t *testing.T) {
	lines := []string{
		`{"gold":"1","response":"\\boxed{1}"}`,
		`{"gold":"1","response":"\\boxed{1}"`, // truncated
		`{"response":"\\boxed{1}"}`,           // no gold
		`{"gold":null,"response":"1"}`,        // null gold
		`{"gold":"1","response":5}`,           // response not a string
		`{"gold":"1","response":"\\boxed{1}"}`,
	}
	for _, c := range []struct {
		line int
		want string
	}{{2, "invalid JSON"}, {3, `field "gold": missing`}, {4, `field "gold"`}, {5, `field "response"`}} {
		// Without --skip-bad the first bad line stops the run and is named.
		in := append([]string{lines[0]}, lines[c.line-1])
		_, _, err := gradeJSONLFile(t, in)
		if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bad line %d: error %v, want line 2 and %q", c.line, err, c.want)
		}
	}
	recs, stderr, err := gradeJSONLFile(t, lines, "--skip-bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(lines) {
		t.Fatalf("%d output lines, want %d", len(recs), len(lines))
	}
	for i, r := range recs {
		bad := i >= 1 && i <= 4
		if (r["reason"] == "bad_input") != bad || (r["correct"] == true) == bad {
			t.Errorf("line %d: %v", i+1, r)
		}
		if bad && !strings.Contains(fmt.Sprint(r["error"]), fmt.Sprintf("line %d", i+1)) {
			t.Errorf("line %d: error field %v does not name the line", i+1, r["error"])
		}
	}
	if recs[1]["input"] == nil || recs[1]["line"] != json.Number("2") {
		t.Errorf("unparseable line not recorded with its input: %v", recs[1])
	}
	if !strings.Contains(stderr, "4 bad") {
		t.Errorf("summary %q", stderr)
	}
}

func TestGradeJSONLSameFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.jsonl")
	if err := os.WriteFile(path, []byte(`{"gold":"1","response":"1"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runGradeCLI(t, "", "--jsonl", path, "--out", path)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v, want a usage error", err)
	}
	if b, _ := os.ReadFile(path); len(b) == 0 {
		t.Error("input was truncated")
	}
}

func TestGradeJSONLLongLine(t *testing.T) {
	long := strings.Repeat("reasoning ", 200_000) + `\boxed{7}`
	b, _ := json.Marshal(map[string]any{"gold": "7", "response": long})
	recs, _, err := gradeJSONLFile(t, []string{string(b)})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0]["correct"] != true {
		t.Fatalf("long line: %v %v", recs[0]["correct"], recs[0]["reason"])
	}
}

func TestGradeSelfCheck(t *testing.T) {
	out, _, err := runGradeCLI(t, "", "--self-check", "--bench", "aime24", "--bench", "minerva", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep batch.SelfCheckReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if len(rep.Sets) != 2 || rep.Sets[0].Benchmark != "aime24" || rep.Sets[1].Benchmark != "minerva" {
		t.Fatalf("sets %+v", rep.Sets)
	}
	want := map[string][2]int{"aime24": {30, 30}, "minerva": {272, 272}}
	disagree := 0
	for _, s := range rep.Sets {
		w := want[s.Benchmark]
		if s.Problems != w[0] || s.Solutions != w[1] {
			t.Errorf("%s: %d problems, %d solutions; want %v", s.Benchmark, s.Problems, s.Solutions, w)
		}
		if s.Stated+s.NoFinalAnswer != s.Solutions || s.Agree+s.Disagree != s.Stated {
			t.Errorf("%s: counts do not add up: %+v", s.Benchmark, s)
		}
		if s.GoldOK > s.Problems || (s.GoldOK < s.Problems && len(rep.GoldRoundTrip) == 0) {
			t.Errorf("%s: gold ok %d of %d, %d round-trip failures listed", s.Benchmark, s.GoldOK, s.Problems, len(rep.GoldRoundTrip))
		}
		if s.Stated > 0 && s.Agreement != float64(s.Agree)/float64(s.Stated) {
			t.Errorf("%s: agreement %v", s.Benchmark, s.Agreement)
		}
		disagree += s.Disagree
	}
	if rep.Total.Solutions != 302 || len(rep.Disagreements) != disagree || len(rep.NoFinalAnswer) != rep.Total.NoFinalAnswer {
		t.Errorf("total %+v, %d disagreements listed, %d no-answer listed", rep.Total, len(rep.Disagreements), len(rep.NoFinalAnswer))
	}
	// Every minerva solution ends in a box, so none lacks a final answer.
	if rep.Sets[1].NoFinalAnswer != 0 {
		t.Errorf("minerva: %d solutions without a final answer, want 0", rep.Sets[1].NoFinalAnswer)
	}
	noted := false
	for _, m := range rep.Disagreements {
		if m.ID == "" || len(m.Gold) == 0 || m.Reason == "" {
			t.Errorf("incomplete disagreement %+v", m)
		}
		if m.ID == "minerva-170" && m.Note != "" {
			noted = true // gold 2, solution box 1: a data issue, never equal
		}
	}
	if !noted {
		t.Error("minerva-170 is not listed with its known-issue note")
	}

	text, _, err := runGradeCLI(t, "", "--self-check", "--bench", "aime25")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"benchmark", "gold ok", "agreement", "aime25", "total"} {
		if !strings.Contains(text, w) {
			t.Errorf("table lacks %q:\n%s", w, text)
		}
	}
}

func TestGradeSelfCheckGSM8K(t *testing.T) {
	const dir = "../../../shared/data"
	if _, err := os.Stat(filepath.Join(dir, "gsm8k")); err != nil {
		t.Skipf("no shared data: %v", err)
	}
	out, _, err := runGradeCLI(t, "", "--self-check", "--bench", "gsm8k", "--data-dir", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep batch.SelfCheckReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Sets[0]
	// Every GSM8K solution ends with "#### answer", and the gold is that answer.
	if s.Problems != 1319 || s.Solutions != 1319 || s.NoFinalAnswer != 0 {
		t.Errorf("gsm8k %+v", s)
	}
}

// TestGradeJSONLStopsMidStream checks that a bad line deep in a long input
// stops the run with its line number and does not hang the pipeline.
func TestGradeJSONLStopsMidStream(t *testing.T) {
	var lines []string
	for i := range 2000 {
		l := fmt.Sprintf(`{"gold":"%d","response":"\\boxed{%d}"}`, i, i)
		if i == 1234 {
			l = `{"gold":"1"}`
		}
		lines = append(lines, l)
	}
	_, _, err := gradeJSONLFile(t, lines, "--workers", "3")
	if err == nil || !strings.Contains(err.Error(), "line 1235") {
		t.Fatalf("error %v, want one naming line 1235", err)
	}
}

func TestGradeSelfCheckFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.jsonl")
	body := `{"q":"1+1?","a":2,"work":"1+1 is \\boxed{2}."}
{"q":"2+2?","a":4,"work":"2+2 is \\boxed{5}."}
{"q":"3+3?","a":6,"work":"it is six"}
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runGradeCLI(t, "", "--self-check", "--bench", path, "--problem-field", "q", "--answer-field", "a", "--solution-field", "work", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep batch.SelfCheckReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Sets[0]
	if s.Solutions != 3 || s.Stated != 2 || s.Agree != 1 || s.Disagree != 1 || s.NoFinalAnswer != 1 || s.GoldOK != 3 {
		t.Errorf("%+v", s)
	}
	if len(rep.Disagreements) != 1 || rep.Disagreements[0].ID != "mine-001" || rep.Disagreements[0].Extracted != "5" {
		t.Errorf("disagreements %+v", rep.Disagreements)
	}
	_, _, err = runGradeCLI(t, "", "--self-check", "--bench", path)
	if err == nil || !strings.Contains(err.Error(), `mine.jsonl:1: field "problem": missing`) {
		t.Errorf("unmapped file: error %v", err)
	}
}
