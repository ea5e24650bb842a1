package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// gsm8kRec is one line of the Qwen2.5-Math GSM8K test file.
type gsm8kRec struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Idx      *int   `json:"idx"`
}

// thousands matches a number written with thousands separators ("1,450,000").
var thousands = regexp.MustCompile(`^-?\d{1,3}(,\d{3})+(\.\d+)?$`)

// GSM8KAnswer returns the final answer of a GSM8K worked solution: the text
// after the last "####", with thousands separators removed ("2,125" → "2125";
// 14 answers of the Qwen copy carry them). ok is false when there is no "####".
func GSM8KAnswer(solution string) (answer string, ok bool) {
	i := strings.LastIndex(solution, "####")
	if i < 0 {
		return "", false
	}
	a := strings.TrimSpace(solution[i+len("####"):])
	if thousands.MatchString(a) {
		a = strings.ReplaceAll(a, ",", "")
	}
	return a, a != ""
}

// decodeGSM8K reads the GSM8K JSONL file. The full worked answer (with its
// <<calc>> annotations) becomes the Solution; the gold is GSM8KAnswer of it.
func decodeGSM8K(name string, data []byte) ([]Problem, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	var out []Problem
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var r gsm8kRec
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("bench: %s: line %d: %w", name, line, err)
		}
		if strings.TrimSpace(r.Question) == "" {
			return nil, fmt.Errorf("bench: %s: line %d: field %q: %w", name, line, "question", errEmptyQuestion)
		}
		gold, ok := GSM8KAnswer(r.Answer)
		if !ok {
			return nil, fmt.Errorf("bench: %s: line %d: field %q: no final answer after ####", name, line, "answer")
		}
		idx := len(out)
		if r.Idx != nil {
			idx = *r.Idx
		}
		out = append(out, Problem{
			ID: id(name, idx, 1319), Benchmark: name, Question: r.Question, Gold: []string{gold},
			Solution: strings.TrimSpace(r.Answer), Meta: map[string]any{"source_idx": idx},
		})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: %s: after line %d: %w", name, line, err)
	}
	return out, nil
}
