package bench

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LiveCodeBench (Jain et al. 2024, arXiv 2403.07974) code generation, in the
// layout of the Hugging Face dataset livecodebench/code_generation_lite: a
// directory of JSONL files test.jsonl, test2.jsonl, …, testN.jsonl, one
// problem per line, as read by LiveCodeBench's own loader
// (lcb_runner/benchmarks/code_generation.py, CodeGenerationProblem):
//
//	question_title, question_content, platform (leetcode|codeforces|atcoder),
//	question_id, contest_id, contest_date (ISO 8601), starter_code,
//	difficulty (easy|medium|hard),
//	public_test_cases   a JSON string: [{"input", "output", "testtype"}],
//	                    testtype "stdin" or "functional",
//	private_test_cases  the same JSON string, or base64(zlib(pickle(that
//	                    JSON string))) — the compressed form of the lite files,
//	metadata            a JSON string; "func_name" names a functional
//	                    problem's method.
//
// terse reads the compressed private tests itself (a pickled str is the only
// pickle accepted; see unpickleString). Release versions follow the
// dataset's naming: release_vN is the first N files (test.jsonl …
// testN.jsonl, cumulative), vN the N-th file only, vA_vB files A to B, and
// release_latest every file.

// LiveCodeBenchOptions selects problems of a LiveCodeBench copy.
type LiveCodeBenchOptions struct {
	// Name is the benchmark name given to the problems ["livecodebench"].
	Name string
	// Release is "release_v1" … "release_vN", "vN", "vA_vB" or
	// "release_latest"; "" reads every file.
	Release string
	// Start and End keep problems whose contest_date is within [Start, End]
	// (LiveCodeBench's --start_date/--end_date, dates inclusive); zero
	// values do not filter.
	Start, End time.Time
	// Platforms and Difficulties keep only the listed values; empty keeps all.
	Platforms, Difficulties []string
	// PublicOnly drops the private tests.
	PublicOnly bool
}

// LiveCodeBenchTimeLimit is the per-test wall-clock limit LiveCodeBench's
// runner uses (lcb_runner run_test timeout = 6 s).
const LiveCodeBenchTimeLimit = 6.0

// liveCodeBenchSetup is run before every LiveCodeBench program, as
// LiveCodeBench's harness does (testing_util.py prepends the same standard
// library imports and raises the recursion limit), so programs that lean on
// it behave as they do there.
const liveCodeBenchSetup = `from string import *
from re import *
from datetime import *
from collections import *
from heapq import *
from bisect import *
from copy import *
from math import *
from random import *
from statistics import *
from itertools import *
from functools import *
from operator import *
from io import *
from sys import *
from json import *
from builtins import *
from typing import *
import string, re, datetime, collections, heapq, bisect, copy, math, random, statistics, itertools, functools, operator, io, sys, json
sys.setrecursionlimit(50000)
`

// lcbRecord is one line of a code_generation_lite file.
type lcbRecord struct {
	QuestionTitle    string `json:"question_title"`
	QuestionContent  string `json:"question_content"`
	Platform         string `json:"platform"`
	QuestionID       string `json:"question_id"`
	ContestID        string `json:"contest_id"`
	ContestDate      string `json:"contest_date"`
	StarterCode      string `json:"starter_code"`
	Difficulty       string `json:"difficulty"`
	PublicTestCases  string `json:"public_test_cases"`
	PrivateTestCases string `json:"private_test_cases"`
	Metadata         string `json:"metadata"`
}

// lcbTest is one element of public_test_cases / private_test_cases.
type lcbTest struct {
	Input    string `json:"input"`
	Output   string `json:"output"`
	TestType string `json:"testtype"`
}

var lcbFile = regexp.MustCompile(`^test(\d*)\.jsonl$`)

// LoadLiveCodeBench reads problems from a code_generation_lite copy: a
// directory of test*.jsonl files, or one such file. Errors name the file,
// line and field.
func LoadLiveCodeBench(path string, o LiveCodeBenchOptions) ([]Problem, error) {
	if o.Name == "" {
		o.Name = "livecodebench"
	}
	files, err := lcbFiles(path, o.Release)
	if err != nil {
		return nil, err
	}
	var out []Problem
	seen := map[string]string{}
	for _, f := range files {
		ps, err := loadLCBFile(f, o)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if prev, dup := seen[p.ID]; dup {
				return nil, fmt.Errorf("bench: %s: question_id %q appears in %s and %s", path, p.ID, prev, f)
			}
			seen[p.ID] = f
			out = append(out, p)
		}
	}
	return out, nil
}

// lcbFiles lists the files of a release, in version order.
func lcbFiles(path, release string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("bench: livecodebench: %w", err)
	}
	if !fi.IsDir() {
		if release != "" {
			return nil, fmt.Errorf("bench: livecodebench: release %q needs the dataset directory, not the file %s", release, path)
		}
		return []string{path}, nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("bench: livecodebench: %w", err)
	}
	byVersion := map[int]string{}
	maxV := 0
	for _, e := range ents {
		m := lcbFile.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		v := 1
		if m[1] != "" {
			v, _ = strconv.Atoi(m[1])
		}
		byVersion[v] = filepath.Join(path, e.Name())
		maxV = max(maxV, v)
	}
	if maxV == 0 {
		return nil, fmt.Errorf("bench: livecodebench: %s holds no test.jsonl, test2.jsonl, … files", path)
	}
	lo, hi, err := releaseRange(release, maxV)
	if err != nil {
		return nil, err
	}
	var files []string
	for v := lo; v <= hi; v++ {
		f, ok := byVersion[v]
		if !ok {
			return nil, fmt.Errorf("bench: livecodebench: release %q needs %s, missing from %s", release, lcbFileName(v), path)
		}
		files = append(files, f)
	}
	return files, nil
}

func lcbFileName(v int) string {
	if v == 1 {
		return "test.jsonl"
	}
	return fmt.Sprintf("test%d.jsonl", v)
}

var (
	releaseCumulative = regexp.MustCompile(`^release_v(\d+)$`)
	releaseOne        = regexp.MustCompile(`^v(\d+)$`)
	releaseSpan       = regexp.MustCompile(`^v(\d+)_v(\d+)$`)
)

// releaseRange maps a release name to the file versions lo…hi.
func releaseRange(release string, maxV int) (lo, hi int, err error) {
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch {
	case release == "" || release == "release_latest":
		return 1, maxV, nil
	case releaseCumulative.MatchString(release):
		return 1, atoi(releaseCumulative.FindStringSubmatch(release)[1]), nil
	case releaseOne.MatchString(release):
		n := atoi(releaseOne.FindStringSubmatch(release)[1])
		return n, n, nil
	case releaseSpan.MatchString(release):
		m := releaseSpan.FindStringSubmatch(release)
		if atoi(m[1]) <= atoi(m[2]) {
			return atoi(m[1]), atoi(m[2]), nil
		}
	}
	return 0, 0, fmt.Errorf("bench: livecodebench: release %q is not release_vN, vN, vA_vB or release_latest", release)
}

// loadLCBFile reads one JSONL file.
func loadLCBFile(path string, o LiveCodeBenchOptions) ([]Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: livecodebench: %w", err)
	}
	defer f.Close()
	var out []Problem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30) // private tests make lines of hundreds of MB
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r lcbRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("bench: %s:%d: %w", path, line, err)
		}
		p, keep, err := lcbProblem(r, o, filepath.Base(path))
		if err != nil {
			return nil, fmt.Errorf("bench: %s:%d: %w", path, line, err)
		}
		if keep {
			out = append(out, p)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	return out, nil
}

// lcbProblem converts one record; keep is false when a filter drops it.
func lcbProblem(r lcbRecord, o LiveCodeBenchOptions, file string) (p Problem, keep bool, err error) {
	switch {
	case r.QuestionID == "":
		return p, false, errors.New(`field "question_id" is empty`)
	case strings.TrimSpace(r.QuestionContent) == "":
		return p, false, errors.New(`field "question_content" is empty`)
	}
	date, err := parseLCBDate(r.ContestDate)
	if err != nil {
		return p, false, fmt.Errorf(`field "contest_date": %w`, err)
	}
	if (!o.Start.IsZero() && date.Before(o.Start)) || (!o.End.IsZero() && date.After(o.End)) ||
		(len(o.Platforms) > 0 && !slices.Contains(o.Platforms, r.Platform)) ||
		(len(o.Difficulties) > 0 && !slices.Contains(o.Difficulties, r.Difficulty)) {
		return p, false, nil
	}
	var public, private []lcbTest
	if err := json.Unmarshal([]byte(r.PublicTestCases), &public); err != nil {
		return p, false, fmt.Errorf(`field "public_test_cases": %w`, err)
	}
	if !o.PublicOnly {
		if private, err = decodeLCBPrivate(r.PrivateTestCases); err != nil {
			return p, false, fmt.Errorf(`field "private_test_cases": %w`, err)
		}
	}
	var meta struct {
		FuncName string `json:"func_name"`
	}
	if strings.TrimSpace(r.Metadata) != "" {
		if err := json.Unmarshal([]byte(r.Metadata), &meta); err != nil {
			return p, false, fmt.Errorf(`field "metadata": %w`, err)
		}
	}
	tests := &CodeTests{Language: "python", Style: StyleStdin, Compare: CompareLines, Setup: liveCodeBenchSetup,
		TimeLimit: LiveCodeBenchTimeLimit}
	for i, group := range [][]lcbTest{public, private} {
		for _, t := range group {
			switch t.TestType {
			case "stdin":
			case "functional":
				tests.Style = StyleFunction
			default:
				return p, false, fmt.Errorf("test type %q is neither stdin nor functional", t.TestType)
			}
			tests.Cases = append(tests.Cases, TestCase{Input: t.Input, Output: t.Output, Private: i == 1})
		}
	}
	if tests.Style == StyleFunction {
		if meta.FuncName == "" {
			return p, false, errors.New(`functional tests but no "func_name" in field "metadata"`)
		}
		tests.EntryPoint, tests.Compare = meta.FuncName, ""
	}
	if len(tests.Cases) == 0 {
		return p, false, errors.New("no test case")
	}
	p = Problem{
		ID: r.QuestionID, Benchmark: o.Name, Question: lcbPrompt(r.QuestionContent, r.StarterCode),
		Level: map[string]int{"easy": 1, "medium": 2, "hard": 3}[r.Difficulty],
		Meta: map[string]any{"platform": r.Platform, "contest_id": r.ContestID, "contest_date": date.Format("2006-01-02"),
			"difficulty": r.Difficulty, "title": r.QuestionTitle, "file": file},
		Tests: tests,
	}
	if r.StarterCode != "" {
		p.Meta["starter_code"] = r.StarterCode
	}
	return p, true, nil
}

// lcbPrompt is LiveCodeBench's generic code-generation prompt
// (lcb_runner/prompts/code_generation.py, get_generic_question_template_answer).
func lcbPrompt(content, starter string) string {
	var b strings.Builder
	b.WriteString("### Question:\n" + content + "\n\n")
	if starter != "" {
		b.WriteString("### Format: You will use the following starter code to write the solution to the problem and enclose your code within delimiters.\n")
		b.WriteString("```python\n" + starter + "\n```\n\n")
	} else {
		b.WriteString("### Format: Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the sample inputs). Enclose your code within delimiters as follows. Ensure that when the python program runs, it reads the inputs, runs the algorithm and writes output to STDOUT.\n")
		b.WriteString("```python\n# YOUR CODE HERE\n```\n\n")
	}
	b.WriteString("### Answer: (use the provided format with backticks)\n\n")
	return b.String()
}

// parseLCBDate reads contest_date ("2023-08-21T00:00:00", with or without a
// zone, or a bare date).
func parseLCBDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05", time.RFC3339, "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date", s)
}

// decodeLCBPrivate reads private_test_cases: a JSON list, or the lite
// files' base64(zlib(pickle(JSON string))).
func decodeLCBPrivate(s string) ([]lcbTest, error) {
	var tests []lcbTest
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &tests); err == nil {
		return tests, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("neither JSON nor base64: %w", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	pickled, err := io.ReadAll(io.LimitReader(zr, 4<<30))
	if err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	js, err := unpickleString(pickled)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(js), &tests); err != nil {
		return nil, fmt.Errorf("decompressed tests: %w", err)
	}
	return tests, nil
}

// unpickleString decodes a Python pickle whose only object is a str, the
// one shape LiveCodeBench writes (pickle.dumps(json_string), protocols 2–5).
// It executes nothing: any other opcode is an error.
func unpickleString(b []byte) (string, error) {
	var s string
	have := false
	for i := 0; i < len(b); {
		op := b[i]
		i++
		need := func(n int) error {
			if i+n > len(b) {
				return fmt.Errorf("pickle: truncated at byte %d", i)
			}
			return nil
		}
		var n int
		switch op {
		case 0x80: // PROTO
			if err := need(1); err != nil {
				return "", err
			}
			i++
			continue
		case 0x95: // FRAME: 8-byte length, contents follow inline
			if err := need(8); err != nil {
				return "", err
			}
			i += 8
			continue
		case 0x94: // MEMOIZE
			continue
		case 'q': // BINPUT
			i++
			continue
		case 'r': // LONG_BINPUT
			i += 4
			continue
		case '.': // STOP
			if !have {
				return "", errors.New("pickle: no string before STOP")
			}
			return s, nil
		case 0x8c: // SHORT_BINUNICODE
			if err := need(1); err != nil {
				return "", err
			}
			n = int(b[i])
			i++
		case 'X': // BINUNICODE
			if err := need(4); err != nil {
				return "", err
			}
			n = int(binary.LittleEndian.Uint32(b[i:]))
			i += 4
		case 0x8d: // BINUNICODE8
			if err := need(8); err != nil {
				return "", err
			}
			u := binary.LittleEndian.Uint64(b[i:])
			if u > uint64(len(b)) {
				return "", fmt.Errorf("pickle: string of %d bytes in a %d-byte pickle", u, len(b))
			}
			n = int(u)
			i += 8
		default:
			return "", fmt.Errorf("pickle: opcode 0x%02x at byte %d is not part of a pickled str", op, i-1)
		}
		if err := need(n); err != nil {
			return "", err
		}
		if have {
			return "", errors.New("pickle: more than one object")
		}
		s, have = string(b[i:i+n]), true
		i += n
	}
	return "", errors.New("pickle: no STOP opcode")
}

// liveCodeBenchPrefix starts a --bench value that names a LiveCodeBench
// copy: "livecodebench:PATH[,release=release_v5][,start=2024-08-01][,end=…]
// [,platform=atcoder][,difficulty=easy][,public]".
const liveCodeBenchPrefix = "livecodebench:"

// parseLiveCodeBenchSpec splits a --bench value into a path and options.
func parseLiveCodeBenchSpec(spec string) (string, LiveCodeBenchOptions, error) {
	parts := strings.Split(strings.TrimPrefix(spec, liveCodeBenchPrefix), ",")
	var o LiveCodeBenchOptions
	path := parts[0]
	if path == "" {
		return "", o, fmt.Errorf("bench: %q: no path after %q", spec, liveCodeBenchPrefix)
	}
	for _, kv := range parts[1:] {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "release":
			o.Release = v
		case "start":
			o.Start, err = time.Parse("2006-01-02", v)
		case "end":
			o.End, err = time.Parse("2006-01-02", v) // LiveCodeBench: contest_date <= end at 00:00
		case "platform":
			o.Platforms = append(o.Platforms, v)
		case "difficulty":
			o.Difficulties = append(o.Difficulties, v)
		case "public":
			o.PublicOnly = true
		case "name":
			o.Name = v
		default:
			return "", o, fmt.Errorf("bench: %q: unknown option %q (release, start, end, platform, difficulty, public, name)", spec, k)
		}
		if err != nil {
			return "", o, fmt.Errorf("bench: %q: %s: want a date YYYY-MM-DD: %w", spec, k, err)
		}
	}
	return path, o, nil
}
