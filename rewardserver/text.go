package rewardserver

import (
	"strings"
	"unicode/utf8"
)

// rsApproxCharsPerToken is the characters-per-token ratio of the length
// approximation used without a tokenizer (about right for English and LaTeX
// with Qwen's BPE; flagged as length_approx in every answer).
const rsApproxCharsPerToken = 4

// countTokens returns the length of text in tokens: the tokenizer's count,
// or ⌈runes/4⌉ without one.
func (s *Server) countTokens(text string) int {
	if s.opts.Tokenizer == nil {
		return (utf8.RuneCountInString(text) + rsApproxCharsPerToken - 1) / rsApproxCharsPerToken
	}
	return len(s.opts.Tokenizer.Encode(text))
}

// lengthApprox reports whether token counts are approximated.
func (s *Server) lengthApprox() bool { return s.opts.Tokenizer == nil }

// rsSplitResponse returns the response part of an OpenRLHF query (prompt with
// chat template followed by the response): the text after the prompt. When
// the query does not start with the prompt (left padding decoded as text),
// the text after the prompt's first occurrence; when the prompt does not
// occur at all, the whole query, with found = false.
func rsSplitResponse(query, prompt string) (resp string, found bool) {
	if prompt == "" {
		return query, true
	}
	if r, ok := strings.CutPrefix(query, prompt); ok {
		return r, true
	}
	if i := strings.Index(query, prompt); i >= 0 {
		return query[i+len(prompt):], true
	}
	return query, false
}

// stripEOS removes trailing padding (Pad, repeated) and then one trailing
// EOS token text. finished reports that an EOS was found; trailing
// whitespace after it is ignored.
func (s *Server) stripEOS(resp string) (text string, finished bool) {
	if p := s.opts.Pad; p != "" {
		for strings.HasSuffix(resp, p) {
			resp = resp[:len(resp)-len(p)]
		}
	}
	t := strings.TrimRight(resp, " \t\r\n")
	for _, e := range s.opts.EOS {
		if r, ok := strings.CutSuffix(t, e); ok {
			return r, true
		}
	}
	return resp, false
}

// measure sets it.text, it.tokens and it.truncated from a response.
//
// Length: the tokens of the text without EOS, plus one for the EOS token when
// present (the model generated it), so special-token handling of the
// tokenizer does not matter. Truncation: when checkEOS is set, a response
// without EOS is truncated; a response of at least the rollout limit is
// truncated, its length clipped to the limit (re-tokenising text can
// overshoot the ids the model generated). tokens, when ≥ 0, replaces the
// count; truncated, when non-nil, replaces detection.
func (s *Server) measure(it *rsItem, resp string, checkEOS bool, limit, tokens int, truncated *bool) {
	text, finished := s.stripEOS(resp)
	it.text = text
	if tokens >= 0 {
		it.tokens = tokens
	} else {
		it.tokens = s.countTokens(text)
		if finished {
			it.tokens++
		}
	}
	if truncated != nil {
		it.truncated = *truncated
	} else {
		it.truncated = (checkEOS && len(s.opts.EOS) > 0 && !finished) || (limit > 0 && it.tokens >= limit)
	}
	if limit > 0 && it.tokens > limit {
		it.tokens = limit
	}
}
