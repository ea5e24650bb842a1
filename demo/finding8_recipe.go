package demo

import (
	"fmt"
	"math"
)

// Finding 8 (PAPER.md §5.8): the recipe's result, base against trained on
// the benchmark trained on. PaperRecipe holds the paper's own numbers that
// the report sets beside the lab's.
func findingRecipe(p Profile) Finding {
	_, lg := ladderEnds(p)
	return Finding{
		ID: 8, Name: "summary", Title: "Summary: base vs trained (the paper's table)",
		Claim: fmt.Sprintf("The recipe (truncation, L_R = L_T, Easy prompts, on-policy) (a) shortens outputs substantially (by more than 10%%; paper: −14.5%% to −47.3%%) (b) at equal or better Mean@k (budget %d).", lg),
		Runs:  []string{Baseline},
		Rule: "The baseline against the base model on the in-domain benchmark at the largest budget, paired per problem and pooled over seeds (SeedRule). " +
			"(a) on the log of each problem's mean length: yes when the whole 95% band of the length change lies below −10% and every seed's change is below −10%; no when the whole band lies above −10% (the change is smaller than 10%, or a lengthening); else inconclusive. " +
			"(b) on Mean@k: yes when the trained model beats the base model beyond the 95% band or the two are equivalent (90% band inside ±0.05); no when it is lower beyond the band; else inconclusive.",
		Margins: []Margin{mShorten, mMeanAtK},
		clauses: recipeClauses,
		labDiff: recipeLabDiff,
	}
}

// PaperRecipe is one row of the paper's recipe table (PAPER.md §5.8:
// Qwen3 on AIME'25, vanilla → trained, Mean@8 and mean length in tokens).
type PaperRecipe struct {
	Model                   string
	MeanBefore, MeanAfter   float64
	LengthBefore, LengthAft float64
}

// PaperRecipes are the rows PAPER.md §5.8 gives; the paper's range of
// length changes over its models is −14.5% to −47.3%.
var PaperRecipes = []PaperRecipe{
	{"Qwen3-0.6B", 13.33, 24.58, 14900, 8900},
	{"Qwen3-8B", 65.83, 67.08, 17900, 12800},
	{"Qwen3-4B-Instruct-2507", 45.42, 46.67, 9100, 4800},
}

func recipeClauses(j *judge) {
	p := j.profile()
	bench := inDomain(p)
	_, lg := ladderEnds(p)
	c := j.cmp("length", Baseline, baseRun, bench, lg, logLength)
	cut := math.Log(1 - MarginShorten)
	o := Inconclusive
	switch {
	case !c.ok():
	case c.Hi95 < cut && all(c.SeedDiffs, func(d float64) bool { return d < cut }):
		o = Yes
	case c.Lo95 > cut:
		o = No
	}
	if c.ok() {
		j.numbers["length_change"] = relChange(c)
	}
	j.clause("a", "outputs shorter by more than 10%", o, fmt.Sprintf("length trained / base at budget %d: %s.", lg, c.relString()))
	c = j.cmp("mean_at_k", Baseline, baseRun, bench, lg, meanAtK)
	j.clause("b", "Mean@k equal or better", atLeast(c, MarginMeanAtK, false), fmt.Sprintf("Mean@k trained − base at budget %d: %s.", lg, c))
}

// recipeLabDiff: the lab's recipe run is a short run of a tiny model.
func recipeLabDiff(seeds []*Results) string {
	p := seeds[0].Profile
	bench := inDomain(p)
	_, lg := ladderEnds(p)
	return fmt.Sprintf("The lab's recipe run trains a 0.4M-parameter model for %d steps of %d Easy prompts × %d rollouts at L_R = L_T = %d; the paper's recipe trains Qwen3 models of 0.6B–30B with N = 24 on DeepScaleR-Easy and reports AIME'25 (PAPER.md §3, §5.8). Mean@k at budget %d, base → trained: %s; at this scale the final accuracy moves between seeds by several points.",
		p.Steps, p.PromptsPerStep, p.GroupSize, p.TargetLen, lg,
		perSeed(seeds, func(r *Results) (string, bool) {
			b, ok1 := finalAt(r, baseRun, bench, lg)
			t, ok2 := finalAt(r, Baseline, bench, lg)
			if !ok1 || !ok2 {
				return "", false
			}
			return fmt.Sprintf("%.3f → %.3f", b.MeanAtK, t.MeanAtK), true
		}))
}
