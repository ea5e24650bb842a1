package bench

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The LiveCodeBench fixtures in testdata/livecodebench are made-up problems
// in the layout that LiveCodeBench's own loader reads:
// LiveCodeBench/LiveCodeBench lcb_runner/benchmarks/code_generation.py at
// commit 28fef95ea8c9f7a547c8329f2cd3d32b92c1fa24 (CodeGenerationProblem:
// JSON-string test lists, private tests either JSON or
// base64(zlib(pickle.dumps(json_string))), metadata.func_name,
// contest_date filtered as start <= date <= end). They were written with
// Python's json, pickle (protocols 4 and 5), zlib and base64.
const lcbDir = "testdata/livecodebench"

func TestLoadLiveCodeBench(t *testing.T) {
	ps, err := LoadLiveCodeBench(lcbDir, LiveCodeBenchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Fatalf("got %d problems, want 3", len(ps))
	}
	add, two, mx := ps[0], ps[1], ps[2]
	if add.ID != "abc900_a" || add.Benchmark != "livecodebench" || add.Level != 1 || add.Meta["platform"] != "atcoder" ||
		add.Meta["contest_date"] != "2023-05-20" {
		t.Errorf("record fields: %+v", add)
	}
	// Public then private (decompressed from the pickle) cases.
	at := add.Tests
	if at.Style != StyleStdin || at.Compare != CompareLines || at.TimeLimit != 6 || len(at.Cases) != 3 ||
		at.Cases[0].Private || !at.Cases[1].Private || at.Cases[1].Input != "40 2\n" || at.Cases[2].Output != "0\n" {
		t.Errorf("stdin tests: %+v", at)
	}
	if !strings.Contains(add.Question, "### Question:\nRead two integers") || !strings.Contains(add.Question, "# YOUR CODE HERE") {
		t.Errorf("stdin prompt: %q", add.Question)
	}
	tt := two.Tests
	if tt.Style != StyleFunction || tt.EntryPoint != "twoSum" || len(tt.Cases) != 2 || tt.Cases[0].Input != "[2,7,11,15]\n9" || tt.Cases[1].Output != "[1, 2]" {
		t.Errorf("functional tests: %+v", tt)
	}
	if !strings.Contains(two.Question, "class Solution:") || two.Meta["starter_code"] == nil {
		t.Errorf("starter code missing: %q", two.Question)
	}
	if mx.Tests.Cases[1].Input != "1\n-7\n" || mx.Meta["file"] != "test2.jsonl" || mx.Level != 3 {
		t.Errorf("protocol-5 pickle or file meta: %+v %+v", mx.Tests, mx.Meta)
	}
	for _, p := range ps {
		if err := p.Tests.Validate(); err != nil {
			t.Errorf("%s: %v", p.ID, err)
		}
		if len(p.Gold) != 0 {
			t.Errorf("%s: code problem with gold %v", p.ID, p.Gold)
		}
	}
}

func TestLiveCodeBenchFilters(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	tests := []struct {
		name string
		o    LiveCodeBenchOptions
		want []string
	}{
		{"all", LiveCodeBenchOptions{}, []string{"abc900_a", "9001", "1900A"}},
		{"release_v1 is test.jsonl", LiveCodeBenchOptions{Release: "release_v1"}, []string{"abc900_a", "9001"}},
		{"release_v2 is cumulative", LiveCodeBenchOptions{Release: "release_v2"}, []string{"abc900_a", "9001", "1900A"}},
		{"v2 is test2.jsonl only", LiveCodeBenchOptions{Release: "v2"}, []string{"1900A"}},
		{"v1_v2", LiveCodeBenchOptions{Release: "v1_v2"}, []string{"abc900_a", "9001", "1900A"}},
		{"start date inclusive", LiveCodeBenchOptions{Start: day("2023-09-10")}, []string{"9001", "1900A"}},
		{"end date inclusive", LiveCodeBenchOptions{End: day("2023-09-10")}, []string{"abc900_a", "9001"}},
		{"platform", LiveCodeBenchOptions{Platforms: []string{"leetcode", "codeforces"}}, []string{"9001", "1900A"}},
		{"difficulty", LiveCodeBenchOptions{Difficulties: []string{"easy"}}, []string{"abc900_a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := LoadLiveCodeBench(lcbDir, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	ps, err := LoadLiveCodeBench(lcbDir, LiveCodeBenchOptions{PublicOnly: true})
	if err != nil || len(ps[0].Tests.Cases) != 1 {
		t.Errorf("public only: %v %+v", err, ps)
	}
}

func TestLiveCodeBenchErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := LoadLiveCodeBench(dir, LiveCodeBenchOptions{}); err == nil || !strings.Contains(err.Error(), "no test.jsonl") {
		t.Errorf("empty dir: %v", err)
	}
	write("test.jsonl", `{"question_id":"x","question_content":"q","contest_date":"2023-01-01T00:00:00","public_test_cases":"[]","private_test_cases":"!!!","metadata":"{}"}`+"\n")
	_, err := LoadLiveCodeBench(dir, LiveCodeBenchOptions{})
	if err == nil || !strings.Contains(err.Error(), "test.jsonl:1") || !strings.Contains(err.Error(), "private_test_cases") {
		t.Errorf("bad private tests: %v", err)
	}
	if _, err := LoadLiveCodeBench(dir, LiveCodeBenchOptions{Release: "release_v3"}); err == nil || !strings.Contains(err.Error(), "test2.jsonl") {
		t.Errorf("missing release file: %v", err)
	}
	if _, err := LoadLiveCodeBench(dir, LiveCodeBenchOptions{Release: "v9_v1"}); err == nil {
		t.Errorf("bad release accepted")
	}
}

func TestOpenLiveCodeBenchSpec(t *testing.T) {
	ps, err := Open("livecodebench:"+lcbDir+",release=release_v1,difficulty=medium,name=lcb", "", FieldMap{})
	if err != nil || len(ps) != 1 || ps[0].ID != "9001" || ps[0].Benchmark != "lcb" {
		t.Fatalf("Open spec: %v %+v", err, ps)
	}
	if _, err := Open("livecodebench:"+lcbDir+",colour=red", "", FieldMap{}); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown option: %v", err)
	}
	if _, err := Open("livecodebench:"+lcbDir+",start=May", "", FieldMap{}); err == nil {
		t.Errorf("bad date accepted")
	}
}

func TestUnpickleString(t *testing.T) {
	// pickle.dumps('[{"a": "éx"}]', protocol=p) from CPython 3.11.
	want := `[{"a": "éx"}]`
	for _, tc := range []struct {
		proto int
		hex   string
		ok    bool
	}{
		{0, "565b7b2261223a2022e978227d5d0a70300a2e", false}, // UNICODE (text) form: refused
		{1, "580e0000005b7b2261223a2022c3a978227d5d71002e", true},
		{2, "8002580e0000005b7b2261223a2022c3a978227d5d71002e", true},
		{3, "8003580e0000005b7b2261223a2022c3a978227d5d71002e", true},
		{4, "80049512000000000000008c0e5b7b2261223a2022c3a978227d5d942e", true},
		{5, "80059512000000000000008c0e5b7b2261223a2022c3a978227d5d942e", true},
	} {
		b, _ := hex.DecodeString(tc.hex)
		got, err := unpickleString(b)
		if tc.ok && (err != nil || got != want) {
			t.Errorf("protocol %d: %q, %v", tc.proto, got, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("protocol %d: accepted", tc.proto)
		}
	}
	// A pickle that would run code (GLOBAL + REDUCE) is refused, never run.
	if _, err := unpickleString([]byte("cos\nsystem\n(S'true'\ntR.")); err == nil {
		t.Error("a code-running pickle was accepted")
	}
	for _, bad := range []string{"", "\x80\x04", "\x8c\x05ab", "\x8c\x01a\x8c\x01b."} {
		if _, err := unpickleString([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHumanEval(t *testing.T) {
	ps, err := Load("humaneval")
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	if p.ID != "HumanEval/0" || p.Tests.EntryPoint != "has_close_elements" || p.Tests.Setup != "from typing import List\n" ||
		!strings.HasPrefix(p.Tests.Stub, "from typing import List") || !strings.HasSuffix(p.Tests.Cases[0].Assert, "check(has_close_elements)\n") ||
		!strings.Contains(p.Question, "```python\nfrom typing import List") {
		t.Errorf("HumanEval/0: %+v", p)
	}
}

func TestLoadFileCodeTests(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.jsonl")
	body := `{"id": "echo", "problem": "Print the input.", "tests": {"style": "stdin", "cases": [{"input": "5\n", "output": "5\n"}], "time_limit": 2}}
{"id": "sq", "problem": "Write sq(x).", "tests": {"style": "function", "entry_point": "sq", "cases": [{"assert": "assert sq(3) == 9"}]}}
{"id": "math", "problem": "1+1?", "answer": 2}
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := LoadFile(path, FieldMap{ID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Tests == nil || ps[0].Tests.Language != "python" || ps[0].Tests.TimeLimit != 2 || ps[0].Tests.Cases[0].Output != "5\n" ||
		ps[1].Tests.EntryPoint != "sq" || ps[2].Tests != nil || ps[2].Gold[0] != "2" {
		t.Errorf("loaded %+v", ps)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"problem": "x", "tests": {"style": "gpu", "cases": [{"output": "1"}]}}`+"\n"), 0o644)
	if _, err := LoadFile(bad, FieldMap{}); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") || !strings.Contains(err.Error(), `"style"`) {
		t.Errorf("bad tests: %v", err)
	}
}
