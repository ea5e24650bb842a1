package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// HumanEval (Chen et al. 2021, arXiv 2107.03374): 164 Python functions, each
// a signature with a docstring (prompt), a reference body
// (canonical_solution) and a check(candidate) test. bench/data/humaneval
// holds a byte-for-byte copy of openai/human-eval's data/HumanEval.jsonl.gz
// (MIT; data/README.md).

// humanEvalRec is one line of HumanEval.jsonl.
type humanEvalRec struct {
	TaskID            string `json:"task_id"`
	Prompt            string `json:"prompt"`
	EntryPoint        string `json:"entry_point"`
	CanonicalSolution string `json:"canonical_solution"`
	Test              string `json:"test"`
}

// HumanEvalInstruction is the text around a HumanEval prompt in a problem's
// Question: chat models are asked for the whole function in a fenced block.
const HumanEvalInstruction = "Complete the following Python function. Write the whole function, with the imports it needs, in one ```python code block.\n\n```python\n%s```"

// decodeHumanEval reads the gzipped JSONL file.
func decodeHumanEval(name string, data []byte) ([]Problem, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("bench: %s: gunzip: %w", name, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: gunzip: %w", name, err)
	}
	var out []Problem
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<16), maxLine)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r humanEvalRec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("bench: %s: line %d: %w", name, line, err)
		}
		for field, v := range map[string]string{"task_id": r.TaskID, "prompt": r.Prompt, "entry_point": r.EntryPoint, "test": r.Test} {
			if strings.TrimSpace(v) == "" {
				return nil, fmt.Errorf("bench: %s: line %d: field %q is empty", name, line, field)
			}
		}
		out = append(out, Problem{
			ID:        r.TaskID,
			Benchmark: name,
			Question:  fmt.Sprintf(HumanEvalInstruction, r.Prompt),
			Solution:  r.Prompt + r.CanonicalSolution,
			Tests: &CodeTests{
				Language: "python", Style: StyleFunction, EntryPoint: r.EntryPoint,
				Setup: importLines(r.Prompt), Stub: r.Prompt,
				Cases: []TestCase{{Assert: r.Test + "\n\ncheck(" + r.EntryPoint + ")\n"}},
			},
		})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", name, err)
	}
	return out, nil
}

// importLines returns the top-level import statements of a Python source,
// so that a program written without them (a chat model's whole function)
// still finds the names its signature uses (List, Tuple, math).
func importLines(src string) string {
	var b strings.Builder
	for _, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, "import ") || strings.HasPrefix(l, "from ") {
			b.WriteString(l)
			b.WriteString("\n")
		}
	}
	return b.String()
}
