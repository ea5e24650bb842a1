package grade

import (
	"strings"
)

// Normalisation rewrites an answer string into a canonical LaTeX-ish form
// that the parser reads. The steps run in order, each a small function of a
// string; they only remove presentation (delimiters, spacing, units, words)
// and never change a value. Gold and prediction go through the same steps.

// normStep is one named rewrite.
type normStep struct {
	name string
	fn   func(string) string
}

// normSteps lists the normalisation steps in the order they run.
var normSteps = [...]normStep{
	{"double_escape", undoubleEscape},
	{"unwrap_box", unwrapBox},
	{"plain_mixed_number", plainMixedNumber}, // before newlines become spaces: "11\n5/6" is not mixed
	{"bold_digits", boldDigits},
	{"literals", literals.Replace},
	{"primes", primes.Replace},
	{"unit_primes", unitPrimes},
	{"text_commands", textCommands},
	{"trig_degrees", trigDegrees}, // before the degree signs go
	{"degrees_percent_currency", units.Replace},
	{"trailing_units", trailingUnits},
	{"brace_args", braceArgs},
	{"mixed_numbers", mixedNumbers},
	{"thousands", thousands},
	{"number_base", numberBase},
	{"trim", trimAnswer},
}

// normalize runs every normalisation step on s.
func normalize(s string) string {
	s = strings.TrimSpace(s)
	for _, st := range normSteps {
		s = st.fn(s)
	}
	return s
}

// unwrapBox returns the content of the last \boxed{…} in s (adjacent boxes
// joined, as in extraction), or s. It also reads "32,\! 349" as "32,\!349"
// before spacing is dropped, so the thin-space thousands separator survives.
func unwrapBox(s string) string {
	if c, ok, _ := findBoxed(s); ok {
		s = c
	}
	for strings.Contains(s, `,\! `) {
		s = strings.ReplaceAll(s, `,\! `, `,\!`)
	}
	return s
}

// boldDigits joins digits that OCR'd solutions space out inside bold
// commands: \mathbf{1 4 4 0 0} is 14400 (OlympiadBench writes its final
// numbers this way).
func boldDigits(s string) string {
	if !strings.Contains(s, `\mathbf{`) && !strings.Contains(s, `\textbf{`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && (strings.HasPrefix(s[i:], `\mathbf{`) || strings.HasPrefix(s[i:], `\textbf{`)) {
			open := i + len(`\mathbf`)
			if end := matchBrace(s, open); end > 0 && strings.Trim(s[open+1:end], "0123456789 .-+") == "" {
				b.WriteString(s[i : open+1])
				b.WriteString(strings.ReplaceAll(s[open+1:end], " ", ""))
				i = end - 1
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// literals are pure text substitutions: math delimiters, sizing commands,
// spacing, synonyms, and Unicode math symbols. Longer keys come first where
// one is a prefix of another.
var literals = strings.NewReplacer(
	// math delimiters ("\\" is listed so that its second backslash is not
	// read as the start of "\ ")
	`\\`, `\\`, `\$`, "", "$", "", `\(`, "", `\)`, "", `\[`, "", `\]`, "",
	`\displaystyle`, "", `\textstyle`, "",
	// sizing
	`\rightarrow`, `\to `, `\leftarrow`, ` `, `\Rightarrow`, `\implies `, `\Leftrightarrow`, ` `,
	`\left.`, "", `\right.`, "", `\left`, "", `\right`, "",
	`\bigl`, "", `\bigr`, "", `\Bigl`, "", `\Bigr`, "", `\biggl`, "", `\biggr`, "",
	`\Biggl`, "", `\Biggr`, "", `\bigg`, "", `\Bigg`, "", `\big`, "", `\Big`, "",
	// spacing
	`\!`, "", `\,`, " ", `\;`, " ", `\:`, " ", `\>`, " ", `\qquad`, " ", `\quad`, " ",
	`\ `, " ", "~", " ", "\n", " ", "\r", " ", "\t", " ",
	`{,}`, ",",
	// synonyms
	`\dfrac`, `\frac`, `\tfrac`, `\frac`, `\cfrac`, `\frac`,
	`\dbinom`, `\binom`, `\tbinom`, `\binom`,
	`\leqslant`, `\le `, `\geqslant`, `\ge `, `\leq`, `\le `, `\geq`, `\ge `,
	`\neq`, `\ne `, `\lt`, "<", `\gt`, ">",
	`\lvert`, "|", `\rvert`, "|", `\vert`, "|", `\mid`, "|",
	`\lbrace`, `\{`, `\rbrace`, `\}`,
	`\mathbf`, "", `\boldsymbol`, "", `\mathit`, "", `\bm`, "",
	`\emptyset`, `\{\}`, `\varnothing`, `\{\}`,
	`\varepsilon`, `\epsilon`, `\varphi`, `\phi`, `\vartheta`, `\theta`,
	`\ldots`, `\dots `, `\cdots`, `\dots `, "...", `\dots `,
	// code written as an answer: np.arcsin(10/13)
	"np.", "", "math.", "",
	// Unicode
	"−", "-", "–", "-", "×", `\times `, "·", `\cdot `, "÷", `\div `, "≤", `\le `, "≥", `\ge `,
	"≠", `\ne `, "π", `\pi `, "∞", `\infty `, "√", `\sqrt `, "°", `^\circ`, "∈", `\in `,
	"±", `\pm `, "∓", `\mp `, "≈", `\approx `, "∪", `\cup `, "²", "^2", "³", "^3",
	"½", `(1/2)`, "⅓", `(1/3)`, "⅔", `(2/3)`, "¼", `(1/4)`, "¾", `(3/4)`,
	"\u00a0", " ", "\u2009", " ", "\u202f", " ",
)

// primes turns LaTeX primes into apostrophes.
var primes = strings.NewReplacer(
	`^{\prime\prime}`, "''", `^{\prime \prime}`, "''", `^{\prime}`, "'", `^\prime`, "'", `\prime`, "'",
)

// unitPrimes drops primes after a digit, which are units (arcminutes,
// arcseconds, feet, inches): 0.003^{\prime\prime} is 0.003. After a letter they stay
// (y' is a derivative).
func unitPrimes(s string) string {
	i := strings.IndexByte(s, '\'')
	if i <= 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			j := b.Len()
			out := b.String()
			for j > 0 && out[j-1] == '\'' {
				j--
			}
			if j > 0 && isDigit(out[j-1]) {
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// units removes degree signs, percent signs and currency symbols: "90^\circ"
// is 90, "8\%" is 8 (not 0.08), "\$32" is 32.
var units = strings.NewReplacer(
	`^{\circ}`, "", `^\circ`, "", `^{\circ }`, "", `\circ`, "", `\degree`, "",
	`\%`, "", "%", "", `\$`, "", `\euro`, "", `\pounds`, "",
)

// textCommands are the commands whose argument is text, not math.
var textCmdNames = [...]string{`\text`, `\textbf`, `\textit`, `\textrm`, `\textnormal`, `\mbox`, `\mathrm`, `\textup`, `\rm`, `\mathsf`, `\texttt`}

// textCommands handles \text{…} and its kin. Joining words ("and", "or")
// become commas. If anything else remains outside the text, the text is a
// unit or a qualifier and is dropped together with a following exponent
// ("\text{ cm}^2"); if the answer is only text, the text is kept.
func textCommands(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	type span struct{ start, end int } // s[start:end] is the whole command
	var spans []span
	var contents []string
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '\\')
		if j < 0 {
			break
		}
		j += i
		name := commandAt(s, j)
		if !isTextCommand(name) {
			i = j + 1 + max(len(name)-1, 0)
			continue
		}
		k := j + len(name)
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k >= len(s) || s[k] != '{' {
			i = k
			continue
		}
		end := matchBrace(s, k)
		if end < 0 {
			break
		}
		stop := end + 1
		// a following exponent belongs to the unit
		if stop < len(s) && s[stop] == '^' {
			if stop+1 < len(s) && s[stop+1] == '{' {
				if e := matchBrace(s, stop+1); e > 0 {
					stop = e + 1
				}
			} else if stop+1 < len(s) {
				stop += 2
				if stop <= len(s) && s[stop-1] == '-' && stop < len(s) {
					stop++
				}
			}
		}
		spans = append(spans, span{j, stop})
		contents = append(contents, s[k+1:end])
		i = stop
	}
	if len(spans) == 0 {
		return s
	}
	var outside strings.Builder
	last := 0
	for _, sp := range spans {
		outside.WriteString(s[last:sp.start])
		last = sp.end
	}
	outside.WriteString(s[last:])
	keep := strings.Trim(outside.String(), " .,;:()") != ""
	var b strings.Builder
	last = 0
	for n, sp := range spans {
		b.WriteString(s[last:sp.start])
		c := strings.TrimSpace(contents[n])
		switch {
		case c == "and" || c == "or" || c == "," || c == "and," || c == "or,":
			b.WriteString(", ")
		case !keep:
			b.WriteString(contents[n])
		case !isWords(c):
			// math inside \text (e.g. \text{5}) stays
			b.WriteString(contents[n])
		default:
			b.WriteString(" ")
		}
		last = sp.end
	}
	b.WriteString(s[last:])
	return b.String()
}

// commandAt returns the command name starting at s[i] == '\\' ("\text"), or
// "\" plus one character for a control symbol.
func commandAt(s string, i int) string {
	j := i + 1
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	if j == i+1 && j < len(s) {
		j++
	}
	return s[i:j]
}

func isTextCommand(name string) bool {
	for _, c := range textCmdNames {
		if name == c {
			return true
		}
	}
	return false
}

// isWords reports whether s holds only letters, spaces and light punctuation
// (a unit or a qualifier), with at least one letter.
func isWords(s string) bool {
	letters := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c):
			letters++
		case c == ' ' || c == '.' || c == '-' || c == '/' || c == '^' || c == '~' || c == '(' || c == ')' || c == '{' || c == '}' || c == '\\' || isDigit(c):
		default:
			return false
		}
	}
	return letters > 0
}

// unitWords are unit and qualifier words dropped after a number.
var unitWords = map[string]bool{
	"degrees": true, "degree": true, "deg": true, "percent": true, "units": true, "unit": true,
	"sq": true, "square": true, "cubic": true, "cents": true, "cent": true, "dollars": true, "dollar": true,
	"inches": true, "inch": true, "in": false, "feet": true, "foot": true, "ft": true, "yards": true, "yd": true,
	"miles": true, "mile": true, "mph": true, "meters": true, "meter": true, "metres": true,
	"cm": true, "mm": true, "km": true, "nm": true, "um": true, "kg": true, "mg": true, "grams": true,
	"hours": true, "hour": true, "hr": true, "hrs": true, "minutes": true, "minute": true, "min": true,
	"seconds": true, "second": true, "sec": true, "days": true, "day": true, "weeks": true, "years": true,
	"year": true, "yr": true, "Hz": true, "kHz": true, "MHz": true, "GHz": true, "eV": true, "keV": true,
	"MeV": true, "GeV": true, "erg": true, "ergs": true, "AU": true, "pc": true, "kpc": true, "Mpc": true,
	"ly": true, "mol": true, "atm": true, "Pa": true, "kPa": true, "J": false, "K": false, "W": false,
	"people": true, "students": true, "ways": true, "points": true, "times": true, "pounds": true,
	"liters": true, "litres": true, "gallons": true, "ounces": true, "oz": true, "lb": true, "lbs": true,
	"pct": true, "percentage": true, "steps": true, "cups": true, "pages": true, "apples": true, "marbles": true, "coins": true,
	"m": false, "s": false, "g": false, "C": false,
}

// trailingUnits drops unit words after a number ("15 cm", "5.4 cents",
// "4.5 \times 10^{14} Hz"), including one-letter units ("6 m") when the
// rest is a plain number.
func trailingUnits(s string) string {
	for range 4 {
		t := strings.TrimRight(s, " .")
		i := strings.LastIndexAny(t, " }0123456789")
		if i < 0 || i == len(t)-1 {
			return s
		}
		word := t[i+1:]
		if e := strings.IndexByte(word, '^'); e > 0 {
			word = word[:e] // "cm^2"
		}
		long, ok := unitWords[word]
		if !ok || strings.ContainsAny(word, `\{}`) {
			return s
		}
		rest := strings.TrimSpace(t[:i+1])
		if rest == "" || !strings.ContainsAny(rest[len(rest)-1:], "0123456789}") {
			return s
		}
		if !long && (t[i] != ' ' || !plainNumber(rest)) {
			return s
		}
		s = rest
	}
	return s
}

// plainNumber reports whether s looks like a number in decimal or scientific
// notation ("6.5", "4.5 \times 10^{14}").
func plainNumber(s string) bool {
	s = strings.ReplaceAll(s, `\times`, "")
	s = strings.ReplaceAll(s, `\cdot`, "")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !strings.ContainsRune(" .,-+^{}e", rune(c)) {
			return false
		}
	}
	return strings.ContainsAny(s, "0123456789")
}

// braceArgs adds the braces LaTeX lets authors omit around one-token
// arguments: \frac12 → \frac{1}{2}, \sqrt3 → \sqrt{3}, x^2 3 stays, x^23 →
// x^{2}3 (LaTeX reads one token).
func braceArgs(s string) string {
	if !strings.ContainsAny(s, `\^_`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		c := s[i]
		nargs, skip := 0, 1
		switch c {
		case '^', '_':
			nargs = 1
		case '\\':
			name := commandAt(s, i)
			skip = len(name)
			switch name {
			case `\frac`, `\binom`:
				nargs = 2
			case `\sqrt`:
				nargs = 1
			}
		}
		b.WriteString(s[i : i+skip])
		i += skip
		for a := 0; a < nargs; a++ {
			j := i
			for j < len(s) && s[j] == ' ' {
				j++
			}
			if a == 0 && j < len(s) && s[j] == '[' && s[i-1] != '^' && s[i-1] != '_' { // \sqrt[n]
				if k := strings.IndexByte(s[j:], ']'); k > 0 {
					b.WriteString(s[i : j+k+1])
					i = j + k + 1
					j = i
					for j < len(s) && s[j] == ' ' {
						j++
					}
				}
			}
			if j >= len(s) {
				break
			}
			switch {
			case s[j] == '{':
				end := matchBrace(s, j)
				if end < 0 {
					b.WriteString(s[i:])
					return b.String()
				}
				if nargs == 2 {
					// keep the group; the next argument follows it
					b.WriteString(s[i : end+1])
					i = end + 1
					continue
				}
				b.WriteString(s[i:j])
				i = j // the group is copied by the outer loop
			case isDigit(s[j]) || isLetter(s[j]):
				b.WriteString("{")
				b.WriteByte(s[j])
				b.WriteString("}")
				i = j + 1
			case s[j] == '\\' && nargs == 2:
				name := commandAt(s, j)
				b.WriteString("{" + name + "}")
				i = j + len(name)
			default:
				a = nargs // leave it to the parser
			}
		}
	}
	return b.String()
}

// mixedNumbers rewrites a whole number followed by a proper fraction of
// whole numbers, "4\frac{4}{9}", as (4+\frac{4}{9}); this is how MATH
// writes mixed numbers. "4\sqrt2" or "2\frac{3}{2}" are products and stay.
func mixedNumbers(s string) string {
	i := strings.Index(s, `\frac{`)
	if i < 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for ; i >= 0; i = next(s, i+1, `\frac{`) {
		// the whole number before
		k := i
		for k > 0 && s[k-1] == ' ' {
			k--
		}
		st := k
		for st > 0 && isDigit(s[st-1]) {
			st--
		}
		if st == k || st < last {
			continue
		}
		if st > 0 && strings.ContainsRune(`.^_{\}`+"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ)", rune(s[st-1])) {
			continue
		}
		n1, e1, ok1 := braceInt(s, i+len(`\frac`))
		if !ok1 {
			continue
		}
		n2, e2, ok2 := braceInt(s, e1)
		if !ok2 || len(n1) > len(n2) || (len(n1) == len(n2) && n1 >= n2) {
			continue
		}
		b.WriteString(s[last:st])
		b.WriteString("(" + s[st:k] + `+\frac{` + n1 + "}{" + n2 + "})")
		last = e2
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// next is strings.Index from offset from, or −1.
func next(s string, from int, sub string) int {
	if from > len(s) {
		return -1
	}
	j := strings.Index(s[from:], sub)
	if j < 0 {
		return -1
	}
	return from + j
}

// braceInt reads "{digits}" at s[i] and returns the digits and the index
// after the closing brace.
func braceInt(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '{' {
		return "", 0, false
	}
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == i+1 || j >= len(s) || s[j] != '}' {
		return "", 0, false
	}
	return s[i+1 : j], j + 1, true
}

// plainMixedNumber rewrites a whole answer "4 4/9" (one space, proper
// fraction) as "(4+4/9)".
func plainMixedNumber(s string) string {
	s = strings.TrimSpace(s)
	sp := strings.IndexByte(s, ' ')
	if sp <= 0 || strings.Count(s, " ") != 1 {
		return s
	}
	whole, frac := strings.TrimPrefix(s[:sp], "+"), s[sp+1:]
	neg := strings.HasPrefix(whole, "-")
	if !allDigits(strings.TrimPrefix(whole, "-")) {
		return s
	}
	sl := strings.IndexByte(frac, '/')
	if sl <= 0 || !allDigits(frac[:sl]) || !allDigits(frac[sl+1:]) {
		return s
	}
	n1, n2 := strings.TrimLeft(frac[:sl], "0"), strings.TrimLeft(frac[sl+1:], "0")
	if n2 == "" || len(n1) > len(n2) || (len(n1) == len(n2) && n1 >= n2) {
		return s
	}
	if neg {
		return "-(" + whole[1:] + "+" + frac + ")"
	}
	return "(" + whole + "+" + frac + ")"
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// thousands removes thousands separators: "7,425,000" and "32,\!349" (the
// \! is already gone) become plain numbers, as does "1 000 000" when it is
// the whole answer. Commas are only read as separators when every comma in
// the answer sits in a digit group of three and nothing is bracketed, so the
// lists "1,2", "2500,7500" and "32, 349" stay lists.
func thousands(s string) string {
	if strings.IndexByte(s, ',') >= 0 {
		if strings.ContainsAny(s, `()[]`) || strings.Contains(s, `\{`) {
			return s
		}
		for i := 0; i < len(s); i++ {
			if s[i] != ',' {
				continue
			}
			// digits before: 1–3, and the group before them starts a number or follows a comma group
			if i == 0 || !isDigit(s[i-1]) || i+4 > len(s) || !allDigits(s[i+1:i+4]) || (i+4 < len(s) && isDigit(s[i+4])) {
				return s
			}
			st := i
			for st > 0 && isDigit(s[st-1]) {
				st--
			}
			if i-st > 3 || (st > 0 && s[st-1] == '.') || (s[st] == '0' && (st == 0 || s[st-1] != ',')) {
				return s
			}
			if st > 0 && s[st-1] == ',' && i-st != 3 {
				return s
			}
		}
		return strings.ReplaceAll(s, ",", "")
	}
	if strings.IndexByte(s, ' ') > 0 {
		t := strings.TrimSpace(s)
		groups := strings.Split(t, " ")
		if len(groups) < 2 {
			return s
		}
		first := strings.TrimPrefix(groups[0], "-")
		if !allDigits(first) || len(first) > 3 {
			return s
		}
		for n, g := range groups[1:] {
			if n == len(groups)-2 {
				g, _, _ = strings.Cut(g, ".")
			}
			if len(g) != 3 || !allDigits(g) {
				return s
			}
		}
		return strings.Join(groups, "")
	}
	return s
}

// numberBase drops a base subscript from a numeral: 52_8 and 4210_{5} are
// compared digit for digit (the question names the base).
func numberBase(s string) string {
	i := strings.IndexByte(s, '_')
	if i <= 0 || !isDigit(s[i-1]) {
		return s
	}
	st := i
	for st > 0 && isDigit(s[st-1]) {
		st--
	}
	if st > 0 && (isLetter(s[st-1]) || s[st-1] == '\\' || s[st-1] == '}') {
		return s
	}
	j := i + 1
	if j < len(s) && s[j] == '{' {
		e := strings.IndexByte(s[j:], '}')
		if e < 0 || !allDigits(s[j+1:j+e]) {
			return s
		}
		return s[:i] + numberBase(s[j+e+1:])
	}
	k := j
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if k == j {
		return s
	}
	return s[:i] + numberBase(s[k:])
}

// trimAnswer removes surrounding space and sentence punctuation and collapses
// runs of spaces.
func trimAnswer(s string) string {
	if strings.Contains(s, "^{") {
		// an exponent emptied by text removal: 5^{\text{th}}
		s = strings.ReplaceAll(strings.ReplaceAll(s, "^{ }", ""), "^{}", "")
	}
	s = strings.TrimSpace(s)
	// a leading "=" or "\approx" (from "\boxed{\approx 3.14}") carries no value
	for _, lead := range []string{"=", `\approx`} {
		if strings.HasPrefix(s, lead) {
			s = strings.TrimSpace(s[len(lead):])
		}
	}
	for strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "..") {
		s = strings.TrimSpace(s[:len(s)-1])
	}
	if strings.Contains(s, "  ") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return s
}

// trigFuncs are the functions whose argument may be an angle in degrees.
var trigFuncs = [...]string{`\sin`, `\cos`, `\tan`, `\sec`, `\csc`, `\cot`}

// degreeSigns end an angle in degrees.
var degreeSigns = [...]string{`^{\circ}`, `^{\circ }`, `^\circ`, `\circ`, `\degree`}

// trigDegrees rewrites a trigonometric function of an angle in degrees as
// one in radians, "\sin 60^\circ" → "\sin(60\pi/180)", so that it
// evaluates (the degree sign alone is dropped by a later step, which would
// leave sin of 60 radians). The argument is a number, optionally in
// parentheses or braces.
func trigDegrees(s string) string {
	if !strings.Contains(s, "circ") && !strings.Contains(s, `\degree`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		name := ""
		for _, f := range trigFuncs {
			if strings.HasPrefix(s[i:], f) && (i+len(f) >= len(s) || !isLetter(s[i+len(f)])) {
				name = f
				break
			}
		}
		if name == "" {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i + len(name)
		skip := func() {
			for j < len(s) && s[j] == ' ' {
				j++
			}
		}
		skip()
		closer := byte(0)
		if j < len(s) && (s[j] == '(' || s[j] == '{') {
			closer = map[byte]byte{'(': ')', '{': '}'}[s[j]]
			j++
			skip()
		}
		k := j
		if k < len(s) && s[k] == '-' {
			k++
		}
		for k < len(s) && (isDigit(s[k]) || s[k] == '.') {
			k++
		}
		num := s[j:k]
		j = k
		skip()
		sign := ""
		for _, d := range degreeSigns {
			if strings.HasPrefix(s[j:], d) {
				sign = d
				break
			}
		}
		if num == "" || num == "-" || sign == "" {
			b.WriteString(name)
			i += len(name)
			continue
		}
		j += len(sign)
		if closer != 0 {
			skip()
			if j >= len(s) || s[j] != closer {
				b.WriteString(name)
				i += len(name)
				continue
			}
			j++
		}
		b.WriteString(name + "(" + num + `\pi/180)`)
		i = j
	}
	return b.String()
}
