package tokenizer

import "unicode"

// Pre-tokenizer regexes this package reproduces by hand. Go's regexp lacks
// the lookahead in `\s+(?!\S)`, so each is a small scanner instead.
const (
	// qwenPattern is the Split regex of Qwen2/Qwen2.5/Qwen3 tokenizer.json.
	qwenPattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// gpt2Pattern is the regex ByteLevel applies when use_regex is true.
	gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
)

// splitter cuts text into the pieces a pre-tokenizer regex would match.
// The pieces tile the text exactly.
type splitter func(text string) []string

func isL(r rune) bool       { return unicode.IsLetter(r) }
func isN(r rune) bool       { return unicode.IsNumber(r) }
func isS(r rune) bool       { return unicode.IsSpace(r) }
func isNL(r rune) bool      { return r == '\r' || r == '\n' }
func isOther(r rune) bool   { return !isS(r) && !isL(r) && !isN(r) }
func foldEq(r, c rune) bool { return unicode.ToLower(r) == c || (c == 's' && r == 'ſ') }

// runPieces applies match at every position; match returns the end of the
// piece starting at i (always > i).
func runPieces(text string, match func(rs []rune, i int) int) []string {
	rs := []rune(text)
	var out []string
	for i := 0; i < len(rs); {
		j := match(rs, i)
		out = append(out, string(rs[i:j]))
		i = j
	}
	return out
}

// contraction matches 's|'t|'re|'ve|'m|'ll|'d at rs[i] == '\” and returns
// its end, or -1. fold makes it case-insensitive.
func contraction(rs []rune, i int, fold bool) int {
	eq := func(k int, c rune) bool {
		if k >= len(rs) {
			return false
		}
		if fold {
			return foldEq(rs[k], c)
		}
		return rs[k] == c
	}
	switch {
	case eq(i+1, 's'), eq(i+1, 't'):
		return i + 2
	case eq(i+1, 'r') && eq(i+2, 'e'), eq(i+1, 'v') && eq(i+2, 'e'):
		return i + 3
	case eq(i+1, 'm'):
		return i + 2
	case eq(i+1, 'l') && eq(i+2, 'l'):
		return i + 3
	case eq(i+1, 'd'):
		return i + 2
	}
	return -1
}

// whitespaceTail handles the trailing alternatives `\s+(?!\S)|\s+` for a
// whitespace run starting at i: up to the end of the text, or all but the
// last character when a non-space follows (a single space stands alone).
func whitespaceTail(rs []rune, i int) int {
	end := i
	for end < len(rs) && isS(rs[end]) {
		end++
	}
	if end == len(rs) || end-i == 1 {
		return end
	}
	return end - 1
}

// splitQwen reproduces qwenPattern, trying its alternatives in order.
func splitQwen(text string) []string {
	return runPieces(text, func(rs []rune, i int) int {
		n, r := len(rs), rs[i]
		if r == '\'' { // (?i:'s|'t|'re|'ve|'m|'ll|'d)
			if j := contraction(rs, i, true); j > 0 {
				return j
			}
		}
		// [^\r\n\p{L}\p{N}]?\p{L}+
		j := i
		if !isNL(r) && !isL(r) && !isN(r) && i+1 < n && isL(rs[i+1]) {
			j = i + 1
		}
		if isL(rs[j]) {
			for j < n && isL(rs[j]) {
				j++
			}
			return j
		}
		if isN(r) { // \p{N}
			return i + 1
		}
		// ` ?[^\s\p{L}\p{N}]+[\r\n]*`
		j = i
		if r == ' ' {
			j++
		}
		if j < n && isOther(rs[j]) {
			for j < n && isOther(rs[j]) {
				j++
			}
			for j < n && isNL(rs[j]) {
				j++
			}
			return j
		}
		// r is whitespace now. \s*[\r\n]+ : up to the run's last newline.
		end, lastNL := i, -1
		for end < n && isS(rs[end]) {
			if isNL(rs[end]) {
				lastNL = end
			}
			end++
		}
		if lastNL >= 0 {
			return lastNL + 1
		}
		return whitespaceTail(rs, i)
	})
}

// splitGPT2 reproduces gpt2Pattern.
func splitGPT2(text string) []string {
	return runPieces(text, func(rs []rune, i int) int {
		n, r := len(rs), rs[i]
		if r == '\'' {
			if j := contraction(rs, i, false); j > 0 {
				return j
			}
		}
		j := i
		if r == ' ' && i+1 < n {
			j = i + 1
		}
		for _, class := range []func(rune) bool{isL, isN, isOther} {
			if class(rs[j]) {
				k := j
				for k < n && class(rs[k]) {
					k++
				}
				return k
			}
		}
		return whitespaceTail(rs, i)
	})
}
