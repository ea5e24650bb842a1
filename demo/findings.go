package demo

// Finding is one of the paper's claims that the demo tests (PAPER.md §5,
// numbered as there): the claim as the report shows it, the runs it needs
// and the rule that decides it. Each finding lives in its own file,
// finding1_twostage.go … finding8_recipe.go, with its tests beside it; the
// shared rule machinery is in rules.go and stats.go.
type Finding struct {
	ID    int    `json:"id"`
	Name  string `json:"name"` // --only key
	Title string `json:"title"`
	// Claim is the paper's claim as the lab tests it: every clause in it is
	// one of the rule's clauses.
	Claim string `json:"claim"`
	// Runs are the trained runs the finding needs (run names of Runs);
	// findings 7 and 8 also need the base model's ladder.
	Runs []string `json:"runs"`
	// Rule is the decision rule in words; Margins its margins.
	Rule    string   `json:"rule"`
	Margins []Margin `json:"margins"`
	// clauses evaluates the clauses on a judge over one or more seeds.
	clauses func(j *judge)
	// labDiff says, with numbers measured in the seeds' runs, what in the
	// lab differs from the paper's setting for this finding. The report
	// shows it when the finding is not reproduced (Verdict.LabDiff); it
	// explains a verdict, it never decides one.
	labDiff func(seeds []*Results) string
}

// decide is the finding's verdict on one seed's results.
func (f Finding) decide(r *Results) Verdict { return f.decideSeeds([]*Results{r}) }

// decideSeeds is the finding's verdict pooled over seeds (SeedRule).
func (f Finding) decideSeeds(seeds []*Results) Verdict {
	j := newJudge(seeds)
	f.clauses(j)
	v := j.verdict(f)
	v.Numbers = cleanNumbers(v.Numbers)
	if v.Reproduced != Yes && f.labDiff != nil {
		v.LabDiff = f.labDiff(seeds)
	}
	return v
}

// Findings returns the demo's findings in the paper's order (PAPER.md §5).
func Findings(p Profile) []Finding {
	return []Finding{
		findingTwoStage(p),
		findingBudget(p),
		findingDifficulty(p),
		findingGroupSize(p),
		findingMasking(p),
		findingRolloutLimit(p),
		findingTransfer(p),
		findingRecipe(p),
	}
}

// ladderEnds are the smallest and the largest budget of the ladder.
func ladderEnds(p Profile) (smallest, largest int) {
	return p.Budgets[0], p.Budgets[len(p.Budgets)-1]
}
