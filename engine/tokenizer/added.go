package tokenizer

import (
	"sort"
	"strings"
)

// addedMatcher finds added (special) tokens in raw text before any other
// processing, as HF tokenizers do: at each position the longest added token
// wins, and the leftmost occurrence is taken first.
type addedMatcher struct {
	byFirst map[byte][]addedToken // candidates per first byte, longest first
}

func newAddedMatcher(tokens []addedToken) *addedMatcher {
	m := &addedMatcher{byFirst: map[byte][]addedToken{}}
	for _, t := range tokens {
		if t.Content == "" {
			continue
		}
		m.byFirst[t.Content[0]] = append(m.byFirst[t.Content[0]], t)
	}
	for _, c := range m.byFirst {
		sort.SliceStable(c, func(i, j int) bool { return len(c[i].Content) > len(c[j].Content) })
	}
	return m
}

// match returns the added token starting at text[i:], if any.
func (m *addedMatcher) match(text string, i int) (addedToken, bool) {
	for _, t := range m.byFirst[text[i]] {
		if strings.HasPrefix(text[i:], t.Content) {
			return t, true
		}
	}
	return addedToken{}, false
}

// split calls plain for each stretch of text between added tokens and
// special for each added token, in order.
func (m *addedMatcher) split(text string, plain func(s string), special func(t addedToken)) {
	start := 0
	for i := 0; i < len(text); {
		if t, ok := m.match(text, i); ok {
			if start < i {
				plain(text[start:i])
			}
			special(t)
			i += len(t.Content)
			start = i
			continue
		}
		i++
	}
	if start < len(text) {
		plain(text[start:])
	}
}
