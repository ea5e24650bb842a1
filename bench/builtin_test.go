package bench

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sharedData is the read-only copy of the benchmark data next to the repo.
const sharedData = "../../shared/data"

func TestLoadCounts(t *testing.T) {
	want := map[string]int{
		"aime24": 30, "aime25": 30, "amc23": 40, "math500": 500, "minerva": 272,
		"olympiadbench": 675, "dsr-train-math": 7470, "dsr-train-aime": 975, "humaneval": 164,
	}
	if names := Names(); len(names) != len(want) {
		t.Errorf("Names() = %v, want the %d embedded sets", names, len(want))
	}
	for _, info := range Catalog() {
		if !info.Embedded {
			continue
		}
		if info.Count != want[info.Name] {
			t.Errorf("%s: catalog count %d, want %d", info.Name, info.Count, want[info.Name])
		}
		t.Run(info.Name, func(t *testing.T) {
			ps, err := Load(info.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != info.Count {
				t.Fatalf("got %d problems, want %d", len(ps), info.Count)
			}
			ids := map[string]bool{}
			for _, p := range ps {
				if p.Benchmark != info.Name {
					t.Fatalf("%s: benchmark %q", p.ID, p.Benchmark)
				}
				if ids[p.ID] {
					t.Fatalf("duplicate id %s", p.ID)
				}
				ids[p.ID] = true
				if strings.TrimSpace(p.Question) == "" {
					t.Fatalf("%s: empty question", p.ID)
				}
				if info.Code {
					if p.Tests == nil || p.Tests.Validate() != nil || len(p.Gold) != 0 {
						t.Fatalf("%s: a code problem needs valid Tests and no Gold", p.ID)
					}
					continue
				}
				if len(p.Gold) == 0 {
					t.Fatalf("%s: no gold", p.ID)
				}
				for _, g := range p.Gold {
					if g == "" || g != strings.TrimSpace(g) {
						t.Fatalf("%s: gold %q is empty or untrimmed", p.ID, g)
					}
				}
			}
		})
	}
}

// TestEmbeddedBlobs checks every embedded file against the git blob id that
// data/README.md records, so an edited or truncated copy fails.
func TestEmbeddedBlobs(t *testing.T) {
	blobs := map[string]string{
		"aime24/deepscaler_aime.json":                  "e1a705f2a03b9f8a0c4a2d334fc71eddc30bad7d",
		"aime25/deepscaler_fork_aime25.json":           "142e19812bfa3b6c28a169d38e7797ffbd7f434c",
		"amc23/deepscaler_amc.json":                    "ac11f74f22c4b79e9bf4aca53c885fcd35413749",
		"math500/deepscaler_math.json":                 "0e3f122e6be5c99a0123adfdf4b4fe1bc8e861cc",
		"minerva/deepscaler_minerva.json":              "01569be85b1df9007fa0bb4068a022da7606586b",
		"olympiadbench/deepscaler_olympiad_bench.json": "efcd0ebe99a97294b9e1f0496ef2e6557c6eb924",
		"train/deepscaler_train_math.json":             "c923136ffca0882f05e5c9ac4b210d5a1fecee4f",
		"train/deepscaler_train_aime.json":             "4b4fb24fca49106b34cc403b1c9211824a865d7c",
		"LICENSE-deepscaler":                           "7540c0f04e982692e8220a1244e33b49d57e2c93",
		"humaneval/HumanEval.jsonl.gz":                 "998d25196e17af24daf9b6cb3a975fe752528e46",
		"LICENSE-human-eval":                           "4f14854c3243516f3de1487a60f14882874d7e3a",
	}
	readme, err := dataFS.ReadFile("data/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range blobs {
		data, err := dataFS.ReadFile("data/" + path)
		if err != nil {
			t.Fatal(err)
		}
		h := sha1.New()
		fmt.Fprintf(h, "blob %d\x00", len(data))
		h.Write(data)
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s: git blob %s, want %s", path, got, want)
		}
		if !strings.HasPrefix(path, "LICENSE-") && !strings.Contains(string(readme), want) {
			t.Errorf("data/README.md does not record blob %s of %s", want, path)
		}
	}
	for _, info := range Catalog() {
		if _, err := dataFS.ReadFile("data/" + info.Path); (err == nil) != info.Embedded {
			t.Errorf("%s: embedded=%v but ReadFile err=%v", info.Name, info.Embedded, err)
		}
	}
}

func TestAIME(t *testing.T) {
	ps, err := Load("aime24")
	if err != nil {
		t.Fatal(err)
	}
	// "025" in the source is normalised to an integer.
	if got := ps[1].Gold; !slices.Equal(got, []string{"25"}) {
		t.Errorf("aime24[1] gold %q, want [25]", got)
	}
	if ps[0].Solution == "" {
		t.Error("aime24[0] lost its solution")
	}

	ps, err = Load("aime25")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		for _, r := range p.Question {
			if r < 0x20 && r != '\n' {
				t.Errorf("%s: control character %U left in question", p.ID, r)
			}
		}
	}
	if q := ps[18].Question; !strings.Contains(q, `\frac{\log_k (5^{k^2 - 1})}`) {
		t.Errorf("aime25[18] not repaired: %.120q", q)
	}
	if q := ps[19].Question; !strings.Contains(q, `circumcircle of $\triangle DEF$`) {
		t.Errorf("aime25[19] not repaired: %.300q", q)
	}
	if ps[15].Meta["aime_number"] != 2 || ps[15].Meta["problem_number"] != 1 {
		t.Errorf("aime25[15] meta %v, want AIME II problem 1", ps[15].Meta)
	}
	if !slices.Equal(ps[0].Gold, []string{"70"}) {
		t.Errorf("aime25[0] gold %q, want [70]", ps[0].Gold)
	}
}

func TestAMC23(t *testing.T) {
	ps, err := Load("amc23")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if !strings.Contains(p.Meta["url"].(string), "2023_AMC_12") {
			t.Errorf("%s: url %v is not AMC 12 2023", p.ID, p.Meta["url"])
		}
		if strings.HasSuffix(p.Gold[0], ".0") {
			t.Errorf("%s: float gold %q not normalised", p.ID, p.Gold[0])
		}
	}
	if !slices.Equal(ps[0].Gold, []string{"27"}) {
		t.Errorf("amc23[0] gold %q, want [27]", ps[0].Gold)
	}
}

func TestMATH500(t *testing.T) {
	ps, err := Load("math500")
	if err != nil {
		t.Fatal(err)
	}
	levels := map[int]int{}
	subjects := map[string]int{}
	for _, p := range ps {
		levels[p.Level]++
		subjects[p.Meta["subject"].(string)]++
		if !strings.HasPrefix(p.ID, "test/") {
			t.Errorf("id %q is not a MATH unique_id", p.ID)
		}
	}
	wantLevels := map[int]int{1: 43, 2: 90, 3: 105, 4: 128, 5: 134}
	for l, n := range wantLevels {
		if levels[l] != n {
			t.Errorf("level %d: %d problems, want %d", l, levels[l], n)
		}
	}
	if len(levels) != 5 {
		t.Errorf("levels %v, want exactly 1–5", levels)
	}
	if len(subjects) != 7 || subjects["intermediate_algebra"] != 97 {
		t.Errorf("subjects %v, want 7 with intermediate_algebra=97", subjects)
	}
	// LaTeX gold is kept verbatim.
	if ps[0].ID != "test/precalculus/807.json" || ps[0].Gold[0] != `\left( 3, \frac{\pi}{2} \right)` {
		t.Errorf("math500[0] = %s %q", ps[0].ID, ps[0].Gold)
	}
}

func TestMinerva(t *testing.T) {
	ps, err := Load("minerva")
	if err != nil {
		t.Fatal(err)
	}
	multi := 0
	for _, p := range ps {
		if len(p.Gold) > 1 {
			multi++
		}
		for _, g := range p.Gold {
			if strings.HasSuffix(g, "\n") {
				t.Errorf("%s: trailing newline in %q", p.ID, g)
			}
		}
		if p.Solution == "" {
			t.Errorf("%s: no solution", p.ID)
		}
	}
	// 75 records list 2–3 alternatives; after trimming, 35 collapse into
	// duplicates ("7.5 \times 10^7" vs "7.5 \times 10^7\n"), and 6 more are
	// replaced by one repaired answer (TestMinervaRepair).
	if multi != 34 {
		t.Errorf("%d problems with several distinct alternatives, want 34", multi)
	}
	if !slices.Equal(ps[17].Gold, []string{"6630.65", "6630"}) {
		t.Errorf("minerva[17] gold %q", ps[17].Gold)
	}
}

// TestMinervaRepair checks the repair of answers that belong to an earlier
// subproblem (see previousSubproblemGold).
func TestMinervaRepair(t *testing.T) {
	ps, err := Load("minerva")
	if err != nil {
		t.Fatal(err)
	}
	var repaired []int
	for i, p := range ps {
		if p.Meta["gold_repair"] != nil {
			repaired = append(repaired, i)
		}
	}
	want := []int{41, 48, 55, 60, 71, 80, 84, 94, 96, 100, 104, 106, 122, 127, 128, 131, 138, 142,
		152, 153, 163, 165, 202, 215, 218, 219, 222, 229, 236, 238, 251, 258, 266}
	if !slices.Equal(repaired, want) {
		t.Errorf("repaired %v\nwant     %v", repaired, want)
	}
	var noted []int
	for i, p := range ps {
		if p.Meta["known_issue"] != nil {
			noted = append(noted, i)
		}
	}
	if want := []int{129, 156, 158, 168, 170, 193, 253}; !slices.Equal(noted, want) {
		t.Errorf("known issues on %v, want %v", noted, want)
	}
	p := ps[100] // "If u=10, what is the steady-state value?" after tau = 0.2
	if !slices.Equal(p.Gold, []string{"20"}) || !slices.Equal(p.Meta["dsr_answer"].([]string), []string{"0.2"}) {
		t.Errorf("minerva-100 gold %q, dsr_answer %v", p.Gold, p.Meta["dsr_answer"])
	}
	for _, c := range []struct {
		problem, solution string
		gold              []string
		box               string
		ok                bool
	}{
		{"Subproblem 0: x? Final answer: The final answer is 5. I hope it is correct.\n\nSubproblem 1: y?", `so \\boxed{7}`, []string{"5"}, "7", true},
		{"Subproblem 0: x? The final answer is 5. I hope it is correct. Subproblem 1: y?", `so \\boxed{5}`, []string{"5"}, "", false},
		{"Subproblem 0: x=\\boxed{3e8} m. Subproblem 1: y?", `\\boxed{2}`, []string{"3 \\times 10^{8}"}, "2", true},
		{"Subproblem 0: so $y = x / 2-1 / 4$. Subproblem 1: c?", `\\boxed{0}`, []string{"\\frac{x}{2} - \\frac{1}{4}"}, "0", true},
		{"Subproblem 0: with 5 moles the answer is 9. Subproblem 1: y?", `\\boxed{7}`, []string{"5"}, "", false},
		{"No parts. The answer is 5.", `\\boxed{7}`, []string{"5"}, "", false},
		{"Subproblem 0: x? The final answer is 4. I hope it is correct. Subproblem 1: y?", `\\boxed{7}`, []string{"5"}, "", false},
	} {
		box, ok := previousSubproblemGold(c.problem, c.solution, c.gold)
		if box != c.box || ok != c.ok {
			t.Errorf("previousSubproblemGold(%q, %q, %q) = %q, %v", c.problem, c.solution, c.gold, box, ok)
		}
	}
}

func TestOlympiadBench(t *testing.T) {
	ps, err := Load("olympiadbench")
	if err != nil {
		t.Fatal(err)
	}
	tol, units, multi := 0, 0, 0
	for _, p := range ps {
		if v, ok := p.Meta["tolerance"]; ok {
			tol++
			if v.(float64) != 0.1 || p.Gold[0] != "4.2" || p.Meta["unit"] != "%" {
				t.Errorf("%s: tolerance %v gold %q unit %v", p.ID, v, p.Gold, p.Meta["unit"])
			}
		}
		if _, ok := p.Meta["unit"]; ok {
			units++
		}
		if p.Meta["is_multiple_answer"].(bool) {
			multi++
		}
		for _, g := range p.Gold {
			if strings.Contains(g, "$") {
				t.Errorf("%s: $ left in gold %q", p.ID, g)
			}
		}
	}
	if tol != 1 || units != 8 || multi != 94 {
		t.Errorf("tolerance %d, units %d, multi %d; want 1, 8, 94", tol, units, multi)
	}
	if ps[0].Meta["source_id"] != 1606 || ps[0].Solution == "" {
		t.Errorf("olympiadbench[0] meta %v", ps[0].Meta)
	}
	var noted []int
	for i, p := range ps {
		if p.Meta["known_issue"] != nil {
			noted = append(noted, i)
		}
	}
	if want := []int{78, 449, 507, 667}; !slices.Equal(noted, want) {
		t.Errorf("known issues on %v, want %v", noted, want)
	}
}

func TestTrainPools(t *testing.T) {
	ps, err := Load("dsr-train-math")
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	for _, p := range ps {
		if p.Level == 0 {
			zero++
		}
	}
	if zero != 2 {
		t.Errorf("%d train problems without a level, want 2", zero)
	}
	ps, err = Load("dsr-train-aime")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if y := p.Meta["year"].(int); y < 1983 || y > 2023 {
			t.Errorf("%s: year %d outside 1983–2023", p.ID, y)
		}
	}
}

func TestGSM8K(t *testing.T) {
	if _, err := Load("gsm8k"); err == nil {
		t.Fatal("gsm8k loaded from the binary; it must not be embedded")
	}
	if _, err := os.Stat(filepath.Join(sharedData, "gsm8k")); err != nil {
		t.Skipf("no shared data: %v", err)
	}
	ps, err := LoadDir(sharedData, "gsm8k")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1319 {
		t.Fatalf("%d problems, want 1319", len(ps))
	}
	if !slices.Equal(ps[0].Gold, []string{"18"}) || !strings.Contains(ps[0].Solution, "#### 18") {
		t.Errorf("gsm8k[0] = %q / %q", ps[0].Gold, ps[0].Solution)
	}
	for _, p := range ps {
		if strings.Contains(p.Gold[0], ",") {
			t.Errorf("%s: thousands separator left in %q", p.ID, p.Gold[0])
		}
	}
	ps2, err := Open("gsm8k", sharedData, FieldMap{})
	if err != nil || len(ps2) != 1319 {
		t.Fatalf("Open(gsm8k): %d, %v", len(ps2), err)
	}
}

func TestGSM8KAnswer(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"so 3+4=7\n#### 7", "7"},
		{"#### 2,125", "2125"},
		{"#### -1,000.5", "-1000.5"},
		{"#### 1,2", "1,2"},
		{"a #### 1\n#### 2", "2"},
	} {
		if got, ok := GSM8KAnswer(c.in); !ok || got != c.want {
			t.Errorf("GSM8KAnswer(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	if _, ok := GSM8KAnswer("no marker 5"); ok {
		t.Error("GSM8KAnswer found an answer without ####")
	}
}

func TestUnknown(t *testing.T) {
	if _, err := Load("aime26"); err == nil || !strings.Contains(err.Error(), "aime24") {
		t.Errorf("Load(aime26) error %v should list known names", err)
	}
	if _, err := Open("no/such/file.jsonl", "", FieldMap{}); err == nil {
		t.Error("Open of a missing file succeeded")
	}
}

func TestTolerance(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want float64
		ok   bool
		err  bool
	}{
		{`null`, 0, false, false},
		{`"1e-1"`, 0.1, true, false},
		{`0.5`, 0.5, true, false},
		{`"1e-2,1e-1"`, 0.1, true, false},
		{`"abc"`, 0, false, true},
	} {
		got, ok, err := tolerance([]byte(c.raw))
		if got != c.want || ok != c.ok || (err != nil) != c.err {
			t.Errorf("tolerance(%s) = %v, %v, %v", c.raw, got, ok, err)
		}
	}
}

// BenchmarkLoad measures decoding each embedded set from the binary.
func BenchmarkLoad(b *testing.B) {
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				ps, err := Load(name)
				if err != nil {
					b.Fatal(err)
				}
				n += len(ps)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "problems/s")
		})
	}
}

// TestAgainstQwenCopies compares the embedded sets with the independent
// Qwen2.5-Math copies in ../shared/data (not embedded: no licence file).
func TestAgainstQwenCopies(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sharedData, "aime24/qwen25math_test.jsonl")); err != nil {
		t.Skipf("no shared data: %v", err)
	}
	qwen := func(path string, m FieldMap) []Problem {
		t.Helper()
		ps, err := LoadFile(filepath.Join(sharedData, path), m)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	goldSet := func(ps []Problem) []string {
		var out []string
		for _, p := range ps {
			out = append(out, FormatNumber(p.Gold[0]))
		}
		slices.Sort(out)
		return out
	}

	t.Run("aime24", func(t *testing.T) {
		ps, _ := Load("aime24")
		q := qwen("aime24/qwen25math_test.jsonl", FieldMap{})
		for i := range q {
			q[i].Gold[0] = strings.TrimLeft(q[i].Gold[0], "0")
		}
		if a, b := goldSet(ps), goldSet(q); !slices.Equal(a, b) {
			t.Errorf("answer multisets differ:\n%v\n%v", a, b)
		}
	})
	t.Run("amc23", func(t *testing.T) {
		ps, _ := Load("amc23")
		q := qwen("amc23/qwen25math_test.jsonl", FieldMap{ID: "url"})
		byURL := map[string]string{}
		for _, p := range q {
			byURL[p.ID] = p.Gold[0]
		}
		if len(byURL) != len(ps) {
			t.Errorf("%d qwen urls, %d problems", len(byURL), len(ps))
		}
		for _, p := range ps {
			if got := byURL[p.Meta["url"].(string)]; got != p.Gold[0] {
				t.Errorf("%s (%s): gold %q, qwen %q", p.ID, p.Meta["url"], p.Gold[0], got)
			}
		}
	})
	t.Run("olympiadbench", func(t *testing.T) {
		ps, _ := Load("olympiadbench")
		q := qwen("olympiadbench/qwen25math_test.jsonl", FieldMap{Problem: "question", Answer: "final_answer"})
		if len(q) != len(ps) {
			t.Fatalf("%d vs %d problems", len(q), len(ps))
		}
		for i := range ps {
			if !slices.Equal(ps[i].Gold, []string{stripDollars(q[i].Gold[0])}) {
				t.Errorf("%s: gold %q, qwen %q", ps[i].ID, ps[i].Gold, q[i].Gold)
			}
		}
	})
	t.Run("minerva", func(t *testing.T) {
		// The Qwen copy has no answer field: its gold is the last box of the
		// solution, in another order (matched here by idx).
		ps, _ := Load("minerva")
		q := qwen("minerva/qwen25math_test.jsonl", FieldMap{Answer: "idx", Solution: "solution"})
		box := map[string]string{}
		for _, p := range q {
			b, ok := lastBoxed(p.Solution)
			if !ok {
				t.Fatalf("qwen idx %s: no box", p.Gold[0])
			}
			box[p.Gold[0]] = b
		}
		for _, p := range ps {
			want := box[fmt.Sprint(p.Meta["source_idx"])]
			if p.Meta["gold_repair"] != nil && p.Gold[0] != want {
				t.Errorf("%s: repaired gold %q, qwen box %q", p.ID, p.Gold[0], want)
			}
		}
	})
}
