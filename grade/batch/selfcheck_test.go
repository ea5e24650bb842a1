package batch

import "testing"

func TestStatesAnswer(t *testing.T) {
	for s, want := range map[string]bool{
		`so $x=\boxed{5}$`:                           true,
		`$\framebox{204}$ minutes`:                   true,
		"The answer is 12.":                          true,
		"Answer: 7":                                  true,
		"#### 18":                                    true,
		"Thus the final answer is 3.":                true,
		"so x = 10 and y = 2.5":                      false,
		"The answer is $n$ for n > 1":                true,
		"the answer is clearly right":                false,
		"those mentioned in the answer are possible": false,
		"The answer is therefore $7$":                true,
		"ANSWER: -3":                                 true,
		"the answers vary":                           false,
	} {
		if got := StatesAnswer.MatchString(s); got != want {
			t.Errorf("StatesAnswer(%q) = %v, want %v", s, got, want)
		}
	}
}
