package grade

import "strings"

// Extraction turns a raw completion into its final answer string:
//
//  1. Strip the thinking: keep the text after the last "</think>". A "<think>"
//     that is never closed means the model never reached an answer
//     (unterminated_think).
//  2. Apply the rules below in priority order; within a rule the rightmost
//     match wins. The first rule that matches gives the answer.
//
// Boxes come first because the prompts ask for one. Up to maxJoined adjacent
// boxes separated only by "and", "or", "," or ";" form one multi-answer
// ("\boxed{1}, \boxed{2}" → "1, 2"); boxes separated by other words do not.

// rule is one extraction pattern: find returns the rightmost answer it sees in
// text, or ok = false. A non-empty fail reason stops extraction.
type rule struct {
	name     string
	priority int
	find     func(text string) (answer string, ok bool, fail Reason)
}

// rules lists the extraction patterns in priority order, most trusted (1)
// first; Extract tries them in this order.
var rules = [...]rule{
	{"boxed", 1, findBoxed},
	{"answer_tag", 2, findAnswerTag},
	{"final_answer_is", 3, findAfterPhrase("final answer is", "final answer:", "final answer")},
	{"answer_colon", 4, findAfterPhrase("answer:", "answer is", "####")},
	{"last_statement", 5, findLastStatement},
	{"last_number", 6, findLastNumber},
}

// statedRules is how many rules (counted from the top) still apply to a
// completion cut by length, with a concluding sentence after them: an
// answer must be stated (box, tag, phrase, conclusion); a formula or a
// number in the middle of unfinished work is not an answer.
const statedRules = 4

const (
	// maxJoined is the most adjacent boxes joined into one multi-answer.
	maxJoined = 6
	// maxAnswerLen caps an extracted answer; longer spans are cut at the end.
	maxAnswerLen = 1 << 14
)

// Extract returns the final answer of a raw completion: thinking stripped,
// then the last \boxed{…}/\fbox{…} (adjacent boxes joined), else the last
// <answer>…</answer>, else the text after "final answer is", else after
// "Answer:", else the last answer-bearing statement in text order (the
// later of the last display or inline math span and the last concluding
// sentence such as "so there are 2 values"), else the last number. On
// failure answer is "" and reason is no_answer, unterminated_think or
// unbalanced_box. Double-escaped LaTeX ("288\\pi", as some harnesses store
// it) is read as single-escaped.
func Extract(response string) (answer string, reason Reason) {
	return extract(response, false)
}

// ExtractCut is Extract for a completion cut by length (finish_reason
// length): only a stated answer counts — a box, an answer tag, an answer
// phrase or a concluding sentence — never a formula or number taken from
// the middle of the unfinished work.
func ExtractCut(response string) (answer string, reason Reason) {
	return extract(response, true)
}

func extract(response string, cutByLength bool) (answer string, reason Reason) {
	text, ok := stripThinking(undoubleEscape(response))
	if !ok {
		return "", UnterminatedThink
	}
	use := rules[:]
	if cutByLength {
		use = rules[:statedRules]
	}
	for _, r := range use {
		ans, ok, fail := r.find(text)
		if fail != "" {
			return "", fail
		}
		if ok {
			ans = strings.TrimSpace(ans)
			if ans != "" {
				return ans, ""
			}
		}
	}
	if cutByLength {
		if c, pos := lastConclusion(text); pos >= 0 {
			return c, ""
		}
	}
	return "", NoAnswer
}

// stripThinking returns the text after the last "</think>", or ok = false if
// a "<think>" is left open.
func stripThinking(s string) (string, bool) {
	for {
		i := strings.Index(s, "</think>") // forward: Index is vectorised
		if i < 0 {
			break
		}
		s = s[i+len("</think>"):]
	}
	if strings.Contains(s, "<think>") {
		return "", false
	}
	return s, true
}

// boxCommands are the commands whose argument is a boxed final answer.
var boxCommands = [...]string{`\boxed`, `\fbox`, `\framebox`}

// findBoxed returns the last box's content, joined with adjacent boxes.
func findBoxed(text string) (string, bool, Reason) {
	boxes := lastBoxCommands(text)
	var parts []string
	end := len(text)
	for k := len(boxes) - 1; k >= 0; k-- {
		content, stop, ok := boxArg(text[:end], boxes[k].after)
		if !ok {
			if len(parts) == 0 {
				return "", false, UnbalancedBox
			}
			break
		}
		if len(parts) > 0 && !isJoiner(text[stop:end]) {
			break
		}
		parts = append(parts, content)
		end = boxes[k].start
	}
	if len(parts) == 0 {
		return "", false, ""
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ", "), true, ""
}

// boxPos locates a box command: s[start:after] is its name.
type boxPos struct{ start, after int }

// lastBoxCommands returns the last maxJoined box commands in s, in order.
// It searches forward for "box" (strings.Index is vectorised; scanning from
// backslash to backslash is slow on LaTeX-dense text).
func lastBoxCommands(s string) []boxPos {
	var out []boxPos
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "box")
		if j < 0 {
			break
		}
		k := i + j
		for _, cmd := range boxCommands {
			st := k - strings.Index(cmd, "box")
			if st >= 0 && strings.HasPrefix(s[st:], cmd) && (st+len(cmd) >= len(s) || !isLetter(s[st+len(cmd)])) {
				if len(out) == maxJoined {
					out = append(out[:0], out[1:]...)
				}
				out = append(out, boxPos{st, st + len(cmd)})
				break
			}
		}
		i = k + 1
	}
	return out
}

// boxArg reads the argument of a box command whose name ends at s[i]: a
// braced group ("\boxed{…}") or one token ("\boxed 5"). It returns the
// argument, the index just past it, and ok = false when a brace never closes.
func boxArg(s string, i int) (content string, stop int, ok bool) {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) {
		return "", 0, false
	}
	if s[i] != '{' {
		j := i
		for j < len(s) && !isSpace(s[j]) && s[j] != '$' {
			j++
		}
		if j == i {
			return "", 0, false
		}
		return cut(s[i:j]), j, true
	}
	end := matchBrace(s, i)
	if end < 0 {
		return "", 0, false
	}
	return cut(s[i+1 : end]), end + 1, true
}

// matchBrace returns the index of the '}' closing the '{' at s[open], or −1.
// Escaped braces ("\{", "\}") do not count.
func matchBrace(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// findAnswerTag returns the content of the last <answer>…</answer> (the R1
// "answer" template), with math delimiters left for normalisation.
func findAnswerTag(text string) (string, bool, Reason) {
	end := lastIndex(text, "</answer>")
	if end < 0 {
		return "", false, ""
	}
	start := lastIndex(text[:end], "<answer>")
	if start < 0 {
		return "", false, ""
	}
	return cut(text[start+len("<answer>") : end]), true, ""
}

// isJoiner reports whether the text between two boxes only joins them:
// "and", "or", ",", ";" plus math delimiters and spaces.
func isJoiner(between string) bool {
	t := between
	for _, d := range []string{"$", `\(`, `\)`, `\[`, `\]`, `\quad`, `\qquad`, `\text{`, `}`, `~`, `\,`} {
		t = strings.ReplaceAll(t, d, " ")
	}
	words := strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == ',' || r == ';' })
	if len(words) == 0 {
		return strings.ContainsAny(between, ",;") || strings.TrimSpace(strings.Trim(between, "$")) == ""
	}
	for _, w := range words {
		if w != "and" && w != "or" {
			return false
		}
	}
	return true
}

// findAfterPhrase returns a rule that takes the rest of the line after the
// rightmost of the given phrases (matched case-insensitively). If that rest
// holds math ($…$, \(…\), \[…\]) the math is the answer; else the rest of the
// sentence is.
func findAfterPhrase(phrases ...string) func(string) (string, bool, Reason) {
	return func(text string) (string, bool, Reason) {
		lower := asciiLower(text) // same length as text, so indices carry over
		best, blen := -1, 0
		for _, p := range phrases {
			if i := lastIndex(lower, p); i > best {
				best, blen = i, len(p)
			}
		}
		if best < 0 {
			return "", false, ""
		}
		rest := strings.TrimLeft(text[best+blen:], " \t:*")
		rest = strings.TrimPrefix(rest, "is")
		rest = trimFiller(rest) // "the answer is thus $6\sqrt2-2$"
		// math right after the phrase may span lines (display math)
		if t := strings.TrimLeft(rest, " \t\n:*"); startsMath(t) {
			if m, ok := firstMath(t); ok {
				return m, true, ""
			}
		}
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[:nl]
		}
		if i := strings.Index(asciiLower(rest), " i hope"); i >= 0 {
			rest = rest[:i]
		}
		// "Final Answer: The volume of $V$ is 120." → "120." The answer is in
		// the phrase's own sentence: "… is impossible" three sentences on is
		// another claim.
		if t := strings.TrimSpace(rest); !startsMath(t) {
			t = firstSentence(t)
			if i := strings.LastIndex(t, " is "); i >= 0 {
				rest = t[i+len(" is "):]
				if j := strings.Index(rest, ". "); j >= 0 && !strings.ContainsAny(rest[:j], "$\\") {
					rest = rest[:j] // the sentence ends
				}
			}
		}
		if m, ok := firstMath(rest); ok {
			return m, true, ""
		}
		rest = strings.TrimSpace(strings.Trim(strings.TrimSpace(rest), "*."))
		if rest == "" {
			return "", false, ""
		}
		// "The answer is 5 because ..." : a sentence, not an answer; take its
		// first number.
		if words := strings.Fields(rest); len(words) > 3 {
			for _, w := range words {
				if n, ok, _ := findLastNumber(w); ok {
					return n, true, ""
				}
			}
		}
		return cut(rest), true, ""
	}
}

// fillers are connective words that may sit between "answer is" and the
// answer itself.
var fillers = [...]string{"thus", "therefore", "hence", "then", "so", "simply", "just", "clearly", "indeed"}

// trimFiller drops one leading filler word (and a comma after it) from s.
func trimFiller(s string) string {
	t := strings.TrimLeft(s, " \t")
	for _, f := range fillers {
		if len(t) > len(f) && strings.EqualFold(t[:len(f)], f) && strings.ContainsRune(" \t,", rune(t[len(f)])) {
			return strings.TrimLeft(t[len(f):], " \t,")
		}
	}
	return s
}

// firstSentence returns s up to its first ". " outside math.
func firstSentence(s string) string {
	m := maskDollars(s)
	inMath := false
	for i := 0; i+1 < len(m); i++ {
		switch {
		case m[i] == '$':
			inMath = !inMath
		case m[i] == '.' && m[i+1] == ' ' && !inMath:
			return s[:i+1]
		}
	}
	return s
}

// startsMath reports whether s starts with a math delimiter.
func startsMath(s string) bool {
	return strings.HasPrefix(s, "$") || strings.HasPrefix(s, `\[`) || strings.HasPrefix(s, `\(`)
}

// mathDelims are the display and inline math delimiters, display first.
var (
	displayDelims = [...][2]string{{"$$", "$$"}, {`\[`, `\]`}}
	inlineDelims  = [...][2]string{{`\(`, `\)`}, {"$", "$"}}
)

// firstMath returns the first math span in s.
func firstMath(s string) (string, bool) {
	orig := s
	s = maskDollars(s)
	best, content := len(s)+1, ""
	for _, d := range append(displayDelims[:], inlineDelims[:]...) {
		i := strings.Index(s, d[0])
		if i < 0 || i >= best {
			continue
		}
		j := strings.Index(s[i+len(d[0]):], d[1])
		if j < 0 {
			continue
		}
		best, content = i, orig[i+len(d[0]):i+len(d[0])+j]
	}
	if best > len(s) || strings.TrimSpace(content) == "" {
		return "", false
	}
	return cut(content), true
}

// findLastStatement returns the last answer-bearing statement in text
// order: the last display or inline math span, unless a concluding
// sentence with a number ("so there are 2 values", "hence 12 ways") comes
// after it, in which case that number. A formula early in the work loses
// to a later inline answer or conclusion.
func findLastStatement(text string) (string, bool, Reason) {
	d, dpos := lastDisplayMath(text)
	in, ipos := lastInlineMath(text)
	ans, pos := d, dpos
	if ipos > dpos {
		ans, pos = in, ipos
	}
	if c, cpos := lastConclusion(text); cpos > pos {
		return c, true, ""
	}
	if pos < 0 {
		return "", false, ""
	}
	return ans, true, ""
}

// conclusionCues start a concluding sentence.
var conclusionCues = [...]string{"so ", "thus ", "therefore ", "hence ", "in total ", "altogether ", "there are ", "there is ", "this gives ", "which gives ", "we get "}

// lastConclusion returns the last number of the last concluding sentence
// (a conclusion cue, then text up to the end of the sentence or line with
// a number and no formula), and the cue's position; −1 when there is none.
func lastConclusion(text string) (string, int) {
	lower := asciiLower(text)
	best, num := -1, ""
	for _, cue := range conclusionCues {
		for i := 0; ; {
			j := strings.Index(lower[i:], cue)
			if j < 0 {
				break
			}
			at := i + j
			i = at + 1
			if at > 0 && isLetter(lower[at-1]) || at <= best {
				continue
			}
			rest := text[at+len(cue):]
			if k := strings.IndexAny(rest, "\n"); k >= 0 {
				rest = rest[:k]
			}
			if k := strings.Index(rest, ". "); k >= 0 {
				rest = rest[:k]
			}
			if strings.ContainsAny(rest, "$\\=") {
				continue // a formula: the math rules read it
			}
			if n, ok, _ := findLastNumber(rest); ok {
				best, num = at, n
			}
		}
	}
	return num, best
}

// undoubleEscape reads LaTeX stored with every backslash doubled
// ("288\\pi", "\\frac{1}{2}") as single-escaped. It applies only when no
// command is single-escaped, so a matrix row break "\\" beside "\frac"
// is left alone.
func undoubleEscape(s string) string {
	if !strings.Contains(s, `\\`) {
		return s
	}
	double := false
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		if s[i+1] == '\\' {
			if i+2 < len(s) && isLetter(s[i+2]) {
				double = true
			}
			i++ // skip the pair
			continue
		}
		if isLetter(s[i+1]) {
			return s // a single-escaped command: not double-escaped text
		}
	}
	if !double {
		return s
	}
	return doubled.Replace(s)
}

var doubled = strings.NewReplacer(`\\\\`, `\\`, `\\`, `\`)

// lastDisplayMath returns the last display math span ($$…$$ or \[…\]) and
// its start, or −1; display math may span lines.
func lastDisplayMath(text string) (string, int) {
	orig := text
	text = maskDollars(text)
	best, content := -1, ""
	for _, d := range displayDelims {
		j := lastIndex(text, d[1])
		if j <= 0 {
			continue
		}
		i := lastIndex(text[:j], d[0])
		if i < 0 || i+len(d[0]) > j || i <= best {
			continue
		}
		best, content = i, orig[i+len(d[0]):j]
	}
	if best < 0 || strings.TrimSpace(content) == "" {
		return "", -1
	}
	return cut(content), best
}

// lastInlineMath returns the last inline math span ($…$ or \(…\)) that
// does not cross a newline, and its start, or −1.
func lastInlineMath(text string) (string, int) {
	orig := text
	text = maskDollars(text)
	best, content := -1, ""
	for _, d := range inlineDelims {
		j := lastIndex(text, d[1])
		if j <= 0 {
			continue
		}
		i := lastIndex(text[:j], d[0])
		if i < 0 || i+len(d[0]) > j || i <= best {
			continue
		}
		c := orig[i+len(d[0]) : j]
		if strings.Contains(c, "\n") || strings.TrimSpace(c) == "" {
			continue
		}
		best, content = i, c
	}
	if best < 0 {
		return "", -1
	}
	return cut(content), best
}

// findLastNumber returns the last number in text ("-12", "3.5", "7,425,000",
// "3/4"), trailing sentence punctuation removed.
func findLastNumber(text string) (string, bool, Reason) {
	for end := len(text); end > 0; {
		for end > 0 && !isDigit(text[end-1]) {
			end--
		}
		if end == 0 {
			break
		}
		start := end
		for start > 0 {
			c := text[start-1]
			if isDigit(c) {
				start--
				continue
			}
			// "," "." "/" only between digits; " " only before a group of three ("1 000")
			if (c == '.' || c == ',' || c == '/') && start >= 2 && isDigit(text[start-2]) {
				start--
				continue
			}
			if c == ' ' && start >= 2 && isDigit(text[start-2]) && digitRun(text, start) == 3 {
				start--
				continue
			}
			if c == '.' {
				start--
			}
			break
		}
		// a number glued to a letter before it is part of a name (x2, H2O)
		if start > 0 && isLetter(text[start-1]) {
			end = start
			continue
		}
		if start > 0 && text[start-1] == '-' {
			start--
		}
		return text[start:end], true, ""
	}
	return "", false, ""
}

// digitRun returns the number of digits starting at s[i].
func digitRun(s string, i int) int {
	n := 0
	for i+n < len(s) && isDigit(s[i+n]) {
		n++
	}
	return n
}

// lastIndex is strings.LastIndex by repeated forward search: strings.Index
// is vectorised and LastIndex is not, which matters on megabyte responses.
// After 64 hits one backward scan is cheaper, and it switches to that.
func lastIndex(s, sub string) int {
	last := -1
	for i, hits := 0, 0; i <= len(s); hits++ {
		if hits == 64 {
			return strings.LastIndex(s, sub)
		}
		j := strings.Index(s[i:], sub)
		if j < 0 {
			break
		}
		last = i + j
		i = last + 1
	}
	return last
}

// asciiLower lowercases ASCII letters only; unlike strings.ToLower it never
// changes the length of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// maskDollars hides escaped dollars (\$, currency) from the delimiter
// search; the result has the same length, so indices carry over.
func maskDollars(s string) string {
	if !strings.Contains(s, `\$`) {
		return s
	}
	return strings.ReplaceAll(s, `\$`, "\x00\x00")
}

// cut trims s to maxAnswerLen bytes.
func cut(s string) string {
	if len(s) > maxAnswerLen {
		return s[:maxAnswerLen]
	}
	return s
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
