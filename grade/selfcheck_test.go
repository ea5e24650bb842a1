package grade

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The self-check grades human-written solutions against their gold answers
// and reports the agreement per data set, listing disagreements. It reads
// the benchmark files under -selfcheck (the shared data directory) and is
// skipped when the flag is not given:
//
//	go test ./grade -run SelfCheck -selfcheck ../../shared/data -v
var selfcheckDir = flag.String("selfcheck", "", "shared data directory for TestSelfCheck")

// selfRow is one solution to grade.
type selfRow struct {
	id       string
	solution string
	gold     []string
}

func TestSelfCheck(t *testing.T) {
	if *selfcheckDir == "" {
		t.Skip("no -selfcheck directory given")
	}
	sets := map[string][]selfRow{}
	dir := *selfcheckDir
	sets["aime24"] = readJSONList(t, filepath.Join(dir, "aime24/deepscaler_aime.json"), "solution", "answer")
	sets["aime_train"] = readJSONList(t, filepath.Join(dir, "train/deepscaler_train_aime.json"), "solution", "answer")
	sets["minerva"] = readJSONList(t, filepath.Join(dir, "minerva/deepscaler_minerva.json"), "solution", "answer")
	sets["gsm8k"] = readGSM8K(t, filepath.Join(dir, "gsm8k/qwen25math_test.jsonl"))
	// gold answers written back as boxed completions and as $…$
	for _, f := range []string{"math500/deepscaler_math.json", "train/deepscaler_train_math.json", "olympiadbench/deepscaler_olympiad_bench.json", "minerva/deepscaler_minerva.json"} {
		rows := readJSONList(t, filepath.Join(dir, f), "", "answer")
		var boxed, dollars []selfRow
		for _, r := range rows {
			if len(r.gold) == 0 || r.gold[0] == "" {
				continue
			}
			boxed = append(boxed, selfRow{r.id, "so the answer is $\\boxed{" + r.gold[0] + "}$.", r.gold})
			dollars = append(dollars, selfRow{r.id, "The final answer is $" + r.gold[0] + "$", r.gold})
		}
		sets[f+" boxed"] = boxed
		sets[f+" dollars"] = dollars
	}
	opts := DefaultOptions()
	// gold answers that do not parse show grammar gaps
	unparsed, total := 0, 0
	for _, f := range []string{"math500/deepscaler_math.json", "train/deepscaler_train_math.json", "olympiadbench/deepscaler_olympiad_bench.json", "minerva/deepscaler_minerva.json"} {
		for _, r := range readJSONList(t, filepath.Join(dir, f), "", "answer") {
			for _, g := range r.gold {
				total++
				p := prepare(g, newWork(DefaultWorkBudget))
				if p.tree == nil && !p.text && !p.empty() {
					unparsed++
					if unparsed <= 150 {
						t.Logf("  unparsed gold %s %q → %q", r.id, g, p.norm)
					}
				}
			}
		}
	}
	t.Logf("gold answers that do not parse: %d/%d", unparsed, total)
	if unparsed*1000 > total {
		t.Errorf("%d/%d gold answers do not parse (want ≤ 0.1%%)", unparsed, total)
	}
	// a gold answer rewritten in plain notation must still match it
	for _, f := range []string{"math500/deepscaler_math.json", "olympiadbench/deepscaler_olympiad_bench.json", "minerva/deepscaler_minerva.json", "train/deepscaler_train_math.json"} {
		rows := readJSONList(t, filepath.Join(dir, f), "", "answer")
		miss, n := 0, 0
		for _, r := range rows {
			if len(r.gold) == 0 {
				continue
			}
			g := r.gold[0]
			alt := plainRewrite(normalize(g))
			if alt == normalize(g) {
				continue
			}
			n++
			if v := Verify(r.gold[:1], alt, opts); !v.Correct {
				miss++
				if miss <= 30 {
					t.Logf("  rewrite miss %s: %q vs %q (%s)", r.id, g, alt, v.Reason)
				}
			}
		}
		t.Logf("rewritten gold answers that fail to match in %s: %d/%d", f, miss, n)
		if miss*100 > n {
			t.Errorf("%s: %d/%d rewritten gold answers fail to match (want ≤ 1%%)", f, miss, n)
		}
	}
	// different gold answers should not match each other: list the pairs
	// that do (false positives, or true duplicates such as "1/2" and "0.5")
	for _, f := range []string{"math500/deepscaler_math.json", "olympiadbench/deepscaler_olympiad_bench.json", "minerva/deepscaler_minerva.json", "train/deepscaler_train_math.json"} {
		rows := readJSONList(t, filepath.Join(dir, f), "", "answer")
		pos := 0
		for shift := 1; shift <= 3; shift++ {
			for i := range rows {
				a, b := rows[i], rows[(i+shift)%len(rows)]
				if len(a.gold) == 0 || len(b.gold) == 0 {
					continue
				}
				v := Verify(a.gold[:1], b.gold[0], opts)
				if v.Correct && normalize(a.gold[0]) != normalize(b.gold[0]) {
					pos++
					if pos <= 30 {
						t.Logf("  cross match %s: %q ~ %q (%s)", f, a.gold[0], b.gold[0], v.Reason)
					}
				}
			}
		}
		t.Logf("cross matches between different gold answers in %s: %d", f, pos)
		if pos*1000 > 3*len(rows) {
			t.Errorf("%s: %d cross matches between different gold answers (want ≤ 0.1%%)", f, pos)
		}
	}
	for name, rows := range sets {
		agree := 0
		var bad []string
		for _, r := range rows {
			v := Grade(r.solution, r.gold, opts)
			if v.Correct {
				agree++
				continue
			}
			bad = append(bad, fmt.Sprintf("  %s gold=%q extracted=%q reason=%s", r.id, r.gold, v.Extracted, v.Reason))
		}
		t.Logf("%-45s %4d/%4d = %.2f%%", name, agree, len(rows), 100*float64(agree)/float64(max(len(rows), 1)))
		// written-back gold answers and GSM8K must agree; the human solutions
		// of AIME and Minerva box other values in a few records (multi-part
		// problems), so they are only reported
		if strings.Contains(name, " ") || name == "gsm8k" {
			if agree*1000 < 995*len(rows) {
				t.Errorf("%s: agreement %d/%d below 99.5%%", name, agree, len(rows))
			}
		}
		for i, b := range bad {
			if i >= 40 {
				break
			}
			t.Log(b)
		}
	}
}

// readJSONList reads a JSON list of objects; solution and answer name the
// fields (answer may be a string, number or list; a list solution is joined).
func readJSONList(t *testing.T, path, solution, answer string) []selfRow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("selfcheck: %v", err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatalf("selfcheck: %s: %v", path, err)
	}
	var rows []selfRow
	for i, r := range recs {
		rows = append(rows, selfRow{id: fmt.Sprintf("%s#%d", filepath.Base(path), i), solution: asText(r[solution]), gold: asList(r[answer])})
	}
	return rows
}

func readGSM8K(t *testing.T, path string) []selfRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("selfcheck: %v", err)
	}
	defer f.Close()
	var rows []selfRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 0; sc.Scan(); n++ {
		var r struct{ Answer string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("selfcheck: %s:%d: %v", path, n+1, err)
		}
		_, gold, _ := strings.Cut(r.Answer, "####")
		rows = append(rows, selfRow{fmt.Sprintf("gsm8k#%d", n), r.Answer, []string{strings.TrimSpace(gold)}})
	}
	return rows
}

func asText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, p := range x {
			parts = append(parts, asText(p))
		}
		return strings.Join(parts, "\n")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func asList(v any) []string {
	switch x := v.(type) {
	case []any:
		var out []string
		for _, p := range x {
			out = append(out, asText(p))
		}
		return out
	case nil:
		return nil
	}
	return []string{asText(v)}
}

// plainRewrite rewrites \frac{a}{b} as ((a)/(b)) and \sqrt{x} as sqrt(x),
// and \cdot as *, a different notation for the same value.
func plainRewrite(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], `\frac{`):
			j := i + len(`\frac`)
			e1 := matchBrace(s, j)
			if e1 < 0 || e1+1 >= len(s) || s[e1+1] != '{' {
				b.WriteByte(s[i])
				continue
			}
			e2 := matchBrace(s, e1+1)
			if e2 < 0 {
				b.WriteByte(s[i])
				continue
			}
			b.WriteString("((" + plainRewrite(s[j+1:e1]) + ")/(" + plainRewrite(s[e1+2:e2]) + "))")
			i = e2
		case strings.HasPrefix(s[i:], `\sqrt{`):
			j := i + len(`\sqrt`)
			e := matchBrace(s, j)
			if e < 0 {
				b.WriteByte(s[i])
				continue
			}
			b.WriteString(" sqrt(" + plainRewrite(s[j+1:e]) + ")")
			i = e
		case strings.HasPrefix(s[i:], `\cdot`):
			b.WriteString("*")
			i += len(`\cdot`) - 1
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
