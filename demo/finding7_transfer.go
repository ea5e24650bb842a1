package demo

import (
	"fmt"
	"strings"
)

// Finding 7 (PAPER.md §5.7): the length bias transfers. The lab tests
// transfer across task families (the paper's math → code); transfer across
// difficulty levels is not tested and is left out of the claim.
func findingTransfer(p Profile) Finding {
	_, lg := ladderEnds(p)
	others := strings.Join(otherFamilies(p), " and ")
	return Finding{
		ID: 7, Name: "transfer", Title: "Transfer across task families",
		Claim: fmt.Sprintf("The learned length bias transfers across task families: trained on %s only, the model answers %s (a) shorter than the base model, (b) at equal or better Mean@k (budget %d).", p.TrainFamily, others, lg),
		Runs:  []string{Baseline},
		Rule: "On every lab family not trained on, the baseline against the base model, paired per problem at the largest budget and pooled over seeds (SeedRule). " +
			"(a) on the log of each problem's mean length: yes when the trained model is shorter beyond the 95% band on every family; no when on any family it is longer beyond the band or equivalent (90% band of the length ratio inside ±5%); else inconclusive. " +
			"(b) on Mean@k: yes when on every family the trained model beats the base model beyond the band or the two are equivalent (90% band inside ±0.05); no when on any family it is lower beyond the band; else inconclusive.",
		Margins: []Margin{mLength, mMeanAtK},
		clauses: transferClauses,
		labDiff: transferLabDiff,
	}
}

func transferClauses(j *judge) {
	p := j.profile()
	_, lg := ladderEnds(p)
	var shorter, kept, ts, tk []string
	for _, f := range otherFamilies(p) {
		bench := "lab-" + f
		c := j.cmp(f+"_length", Baseline, baseRun, bench, lg, logLength)
		shorter = append(shorter, better(c, logMargin(MarginLength), true))
		ts = append(ts, fmt.Sprintf("%s: trained / base %s", bench, c.relString()))
		c = j.cmp(f+"_mean_at_k", Baseline, baseRun, bench, lg, meanAtK)
		kept = append(kept, atLeast(c, MarginMeanAtK, false))
		tk = append(tk, fmt.Sprintf("%s: trained − base %s", bench, c))
	}
	j.clause("a", "shorter than the base model on every family not trained on", allOf(shorter), fmt.Sprintf("length at budget %d: %s.", lg, strings.Join(ts, "; ")))
	j.clause("b", "Mean@k equal or better on every family not trained on", allOf(kept), fmt.Sprintf("Mean@k at budget %d: %s.", lg, strings.Join(tk, "; ")))
}

// transferLabDiff: the lab transfers between sibling synthetic families.
func transferLabDiff(seeds []*Results) string {
	p := seeds[0].Profile
	return fmt.Sprintf("The lab trains on %s and tests on %s, families of one synthetic format; the paper trains on math and tests on code (LiveCodeBench).",
		p.TrainFamily, strings.Join(otherFamilies(p), " and "))
}
