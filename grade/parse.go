package grade

import (
	"errors"
	"math/big"
	"strings"
	"unicode/utf8"
)

// Parsing reads a normalised answer into an expression tree. The grammar,
// loosest binding first:
//
//	top      = seq { ";" seq }                       a list of lists
//	seq      = rel { "," rel }                       a bare list "1, 2"
//	rel      = union { relop union }                 = < > \le \ge \ne \approx \in
//	union    = expr { \cup expr }
//	expr     = [sign | \pm] term { (+ | - | \pm | \mp) term }
//	term     = unary { (* | / | \cdot | \times | \div | : | implicit) unary }
//	unary    = - unary | + unary | postfix
//	postfix  = primary { ^ exponent | ! }
//	primary  = number | symbol | constant | ( … ) | [ … ] | { … } | \{ … \}
//	         | \frac | \sqrt | \binom | function | |x| | \lfloor … \rfloor
//	         | \begin{pmatrix} … \end{pmatrix}
//
// "(a, b)" is a tuple (equal to the open interval), "[a, b]", "[a, b)" and
// "(a, b]" are intervals, "\{…\}" is a set, and "a \pm b" is the pair
// {a+b, a−b}.

// kind is the type of a tree node.
type kind uint8

const (
	nNum      kind = iota // exact rational num; dec marks a decimal literal
	nSym                  // free symbol name
	nConst                // name: "pi", "e", "i", "inf"
	nAdd                  // args[0] + args[1] + …
	nMul                  // args[0] · args[1] · …
	nDiv                  // args[0] / args[1]
	nPow                  // args[0] ^ args[1]
	nNeg                  // −args[0]
	nFunc                 // name(args…); unknown one-letter names are uninterpreted
	nPM                   // args[0] ± args[1]; args[0] == nil for ±args[1]
	nTuple                // (a, b, …), ordered
	nList                 // a, b, … with no brackets
	nSet                  // \{a, b, …\}, unordered
	nInterval             // args[0], args[1] with lopen, ropen
	nUnion                // args[0] ∪ args[1] ∪ …
	nMatrix               // rows × cols, args row-major
	nRatio                // a : b : …, ordered
	nRel                  // args[0] ops[0] args[1] ops[1] args[2] …
)

// node is an expression tree node. Trees are built once per call and never
// shared between calls.
type node struct {
	k            kind
	name         string
	num          *big.Rat
	dec          bool // number written with a decimal point or exponent
	args         []*node
	ops          []string // relation operators, for nRel
	lopen, ropen bool     // for nInterval
	rows, cols   int      // for nMatrix
	paren        bool     // a parenthesised group, "(x)"
}

const (
	// maxParseLen caps the answer length the parser reads; longer answers
	// are compared as strings only.
	maxParseLen = 4096
	// maxDepth caps nesting; deeper input is a parse error.
	maxDepth = 300
)

var errParse = errors.New("grade: cannot parse answer")

// tokKind is the type of a token.
type tokKind uint8

const (
	tEOF   tokKind = iota
	tNum           // 12, 3.5, .4, 4.5e33
	tIdent         // one letter, or one non-ASCII character
	tCmd           // \frac, \\, \{ ; for \begin and \end, text is the environment
	tOp            // one ASCII character: + - * / ^ _ ( ) [ ] { } , ; = < > ! | : & '
)

type token struct {
	k    tokKind
	text string
	sp   bool // followed by a space
}

// plainFuncs are function names recognised without a backslash.
var plainFuncs = [...]string{"arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sin", "cos", "tan", "sec", "csc", "cot", "sqrt", "log", "ln", "exp", "pi"}

// lex splits s into tokens. It spends one work step per token.
func lex(s string, w *work) ([]token, error) {
	toks := make([]token, 0, len(s)/2+1)
	for i := 0; i < len(s); {
		if !w.spend(1) {
			return nil, errParse
		}
		c := s[i]
		if len(toks) > 0 && i > 0 && s[i-1] == ' ' && c != ' ' {
			toks[len(toks)-1].sp = true
		}
		switch {
		case c == ' ':
			i++
		case isDigit(c) || (c == '.' && i+1 < len(s) && isDigit(s[i+1])):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '.' && (j+1 >= len(s) || s[j+1] != '.') {
				j++
				for j < len(s) && isDigit(s[j]) {
					j++
				}
			}
			// scientific notation: 4.5e33, 1e-5
			if j+1 < len(s) && s[j] == 'e' {
				k := j + 1
				if s[k] == '-' || s[k] == '+' {
					k++
				}
				if k < len(s) && isDigit(s[k]) {
					for k < len(s) && isDigit(s[k]) {
						k++
					}
					if k >= len(s) || !isLetter(s[k]) {
						j = k
					}
				}
			}
			toks = append(toks, token{k: tNum, text: s[i:j]})
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			word := s[i:j]
			if word == "and" || word == "or" {
				toks = append(toks, token{k: tOp, text: ","})
				i = j
				continue
			}
			for _, f := range plainFuncs {
				if strings.HasPrefix(word, f) && (len(word) == len(f) || f != "pi") {
					toks = append(toks, token{k: tCmd, text: `\` + f})
					i += len(f)
					word = ""
					break
				}
			}
			if word != "" {
				toks = append(toks, token{k: tIdent, text: s[i : i+1]})
				i++
			}
		case c == '\\':
			name := commandAt(s, i)
			i += len(name)
			if name == `\begin` || name == `\end` {
				env := ""
				if i < len(s) && s[i] == '{' {
					if e := matchBrace(s, i); e > 0 {
						env = s[i+1 : e]
						i = e + 1
					}
				}
				if name == `\begin` && env == "array" && i < len(s) && s[i] == '{' {
					if e := matchBrace(s, i); e > 0 {
						i = e + 1
					}
				}
				toks = append(toks, token{k: tCmd, text: name + "{" + env + "}"})
				continue
			}
			toks = append(toks, token{k: tCmd, text: name})
		case c < utf8.RuneSelf:
			toks = append(toks, token{k: tOp, text: s[i : i+1]})
			i++
		default:
			_, n := utf8.DecodeRuneInString(s[i:])
			toks = append(toks, token{k: tIdent, text: s[i : i+n]})
			i += n
		}
	}
	return toks, nil
}

// parser is a recursive-descent parser over tokens. After the first error
// every peek returns EOF, so all loops end and the error is reported once.
type parser struct {
	toks  []token
	pos   int
	depth int
	abs   int // open |…| bars
	w     *work
	err   error
}

// parse parses a normalised answer into a tree.
func parse(s string, w *work) (*node, error) {
	if len(s) > maxParseLen || s == "" {
		return nil, errParse
	}
	toks, err := lex(s, w)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, w: w}
	n := p.top()
	if p.err == nil && p.peek().k != tEOF {
		p.fail()
	}
	if p.err != nil {
		return nil, p.err
	}
	return n, nil
}

func (p *parser) fail() *node {
	if p.err == nil {
		p.err = errParse
	}
	return &node{k: nNum, num: new(big.Rat)}
}

func (p *parser) peek() token {
	if p.err != nil || p.pos >= len(p.toks) {
		return token{}
	}
	return p.toks[p.pos]
}

func (p *parser) next() token {
	t := p.peek()
	if t.k != tEOF {
		p.pos++
	}
	return t
}

// is reports whether the next token is the op or command text.
func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.k == tOp || t.k == tCmd) && t.text == text
}

func (p *parser) accept(text string) bool {
	if p.is(text) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(text string) {
	if !p.accept(text) {
		p.fail()
	}
}

// enter guards recursion depth and spends work; leave undoes the depth.
func (p *parser) enter() bool {
	p.depth++
	if p.depth > maxDepth || !p.w.spend(1) {
		p.fail()
		return false
	}
	return true
}

func (p *parser) leave() { p.depth-- }

func (p *parser) top() *node {
	first := p.seq()
	if !p.is(";") {
		return first
	}
	items := []*node{first}
	for p.accept(";") {
		if p.peek().k == tEOF {
			break
		}
		items = append(items, p.seq())
	}
	return &node{k: nList, args: items}
}

func (p *parser) seq() *node {
	first := p.rel()
	if !p.is(",") {
		return first
	}
	items := []*node{first}
	for p.accept(",") {
		for p.accept(",") { // "2, 3, \text{and} 4" left ", ,"
		}
		if t := p.peek(); t.k == tEOF || p.is(";") {
			break // trailing comma
		}
		items = append(items, p.rel())
	}
	if len(items) == 1 {
		return first // "\frac{1}{3}," : sentence punctuation
	}
	return assignmentList(&node{k: nList, args: items})
}

// relOps maps relation tokens to canonical operators.
var relOps = map[string]string{
	"=": "=", "<": "<", ">": ">", `\le`: "<=", `\ge`: ">=", `\ne`: "!=",
	`\approx`: "~", `\in`: "in", `\equiv`: "=", `\simeq`: "=", `\cong`: "=",
}

func (p *parser) relop() (string, bool) {
	t := p.peek()
	if t.k != tOp && t.k != tCmd {
		return "", false
	}
	if p.notEqualSign() {
		p.pos += 2
		return "!=", true
	}
	op, ok := relOps[t.text]
	if !ok {
		return "", false
	}
	p.pos++
	if (op == "<" || op == ">") && p.accept("=") {
		op += "="
	}
	return op, true
}

func (p *parser) rel() *node {
	first := p.union()
	op, ok := p.relop()
	if !ok {
		return first
	}
	r := &node{k: nRel, args: []*node{first}}
	for ok {
		r.ops = append(r.ops, op)
		r.args = append(r.args, p.union())
		op, ok = p.relop()
	}
	return r
}

func (p *parser) union() *node {
	first := p.expr()
	if !p.is(`\cup`) {
		return first
	}
	u := &node{k: nUnion, args: []*node{first}}
	for p.accept(`\cup`) {
		u.args = append(u.args, p.expr())
	}
	return u
}

func (p *parser) expr() *node {
	if !p.enter() {
		return p.fail()
	}
	defer p.leave()
	var acc *node
	switch {
	case p.accept(`\pm`), p.accept(`\mp`):
		acc = &node{k: nPM, args: []*node{nil, p.term()}}
	case p.accept("-"):
		acc = neg(p.term())
	default:
		p.accept("+")
		acc = p.term()
	}
	for {
		switch {
		case p.accept("+"):
			acc = add(acc, p.term())
		case p.accept("-"):
			acc = add(acc, neg(p.term()))
		case p.accept(`\pm`), p.accept(`\mp`):
			acc = &node{k: nPM, args: []*node{acc, p.term()}}
		default:
			return acc
		}
	}
}

func (p *parser) term() *node {
	acc := p.unary()
	for p.err == nil {
		switch {
		case p.accept("*"), p.accept(`\cdot`), p.accept(`\times`), p.accept(`\ast`):
			acc = mul(acc, p.unary())
		case p.accept("/"), p.accept(`\div`):
			acc = &node{k: nDiv, args: []*node{acc, p.unary()}}
		case p.accept(":"):
			r := &node{k: nRatio, args: []*node{acc, p.unary()}}
			for p.accept(":") {
				r.args = append(r.args, p.unary())
			}
			return r
		case p.startsPrimary():
			if p.peek().k == tNum && p.pos > 0 && p.toks[p.pos-1].k == tNum {
				return p.fail() // "11 5/6" or "4 4/9 2": two numbers side by side are no product
			}
			acc = mul(acc, p.postfix())
		default:
			return acc
		}
	}
	return acc
}

func (p *parser) unary() *node {
	if !p.enter() {
		return p.fail()
	}
	defer p.leave()
	switch {
	case p.accept("-"):
		return neg(p.unary())
	case p.accept("+"):
		return p.unary()
	}
	return p.postfix()
}

func (p *parser) postfix() *node {
	b := p.primary()
	for p.err == nil {
		switch {
		case p.accept("^"):
			b = &node{k: nPow, args: []*node{b, p.exponent()}}
		case p.is("!") && !p.notEqualSign():
			p.next()
			b = &node{k: nFunc, name: "factorial", args: []*node{b}}
		default:
			return b
		}
	}
	return b
}

// notEqualSign reports whether the next tokens are "!=" (not a factorial).
func (p *parser) notEqualSign() bool {
	return p.is("!") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "=" && !p.toks[p.pos].sp
}

// exponent reads a superscript: a braced group or one signed primary.
func (p *parser) exponent() *node {
	if !p.enter() {
		return p.fail()
	}
	defer p.leave()
	if p.is("{") {
		return p.group()
	}
	if p.accept("-") {
		return neg(p.postfixNoPow())
	}
	return p.postfixNoPow()
}

func (p *parser) postfixNoPow() *node {
	b := p.primary()
	for p.accept("!") {
		b = &node{k: nFunc, name: "factorial", args: []*node{b}}
	}
	return b
}

// group reads "{ … }" and returns its content.
func (p *parser) group() *node {
	p.expect("{")
	n := p.top()
	p.expect("}")
	return n
}

// arg reads a command argument: a braced group, else one primary.
func (p *parser) arg() *node {
	if p.is("{") {
		return p.group()
	}
	return p.primary()
}

// startsPrimary reports whether the next token can start a factor of an
// implicit product ("2x", "3\sqrt2", "(a+1)(b+2)").
func (p *parser) startsPrimary() bool {
	t := p.peek()
	switch t.k {
	case tNum, tIdent:
		return true
	case tOp:
		switch t.text {
		case "(", "{", "[":
			return true
		case "|":
			return p.abs == 0
		}
		return false
	case tCmd:
		if _, rel := relOps[t.text]; rel {
			return false
		}
		switch t.text {
		case `\cdot`, `\times`, `\div`, `\ast`, `\pm`, `\mp`, `\cup`, `\}`, `\\`, `\rfloor`, `\rceil`, `\to`, `\implies`, `\quad`:
			return false
		}
		return !strings.HasPrefix(t.text, `\end{`)
	}
	return false
}

// funcNames are the known functions.
var funcNames = map[string]bool{
	"sin": true, "cos": true, "tan": true, "sec": true, "csc": true, "cot": true,
	"arcsin": true, "arccos": true, "arctan": true, "arcsec": true, "arccsc": true, "arccot": true,
	"sinh": true, "cosh": true, "tanh": true, "coth": true, "sech": true, "csch": true,
	"ln": true, "log": true, "lg": true, "exp": true, "sqrt": true,
	"gcd": true, "lcm": true, "max": true, "min": true, "sgn": true, "det": true,
}

// uninterpreted are one-letter names read as functions when "(" follows
// with no space: f(x) is a value of f, not f·x. Other letters multiply:
// x(x+1), and so does "I (a+b)".
const uninterpreted = "fghpquFGHINPQ"

// decorations are commands whose argument names a symbol (\hat{x}, \vec{v}).
var decorations = map[string]bool{
	`\hat`: true, `\bar`: true, `\dot`: true, `\ddot`: true, `\vec`: true, `\overline`: true,
	`\tilde`: true, `\widehat`: true, `\widetilde`: true, `\overrightarrow`: true, `\underline`: true,
	`\mathcal`: true, `\mathbb`: true, `\mathfrak`: true, `\mathscr`: true, `\check`: true, `\acute`: true,
}

func (p *parser) primary() *node {
	if !p.enter() {
		return p.fail()
	}
	defer p.leave()
	t := p.next()
	switch t.k {
	case tNum:
		r, ok := new(big.Rat).SetString(strings.TrimSuffix(t.text, "."))
		if !ok || !p.w.spend(len(t.text)) {
			return p.fail()
		}
		return &node{k: nNum, num: r, dec: strings.ContainsAny(t.text, ".e")}
	case tIdent:
		return p.symbol(t.text)
	case tOp:
		switch t.text {
		case "(", "[":
			return p.bracket(t.text)
		case "{":
			p.pos--
			n := p.group()
			return n
		case "|":
			p.abs++
			n := p.expr()
			p.abs--
			p.expect("|")
			return &node{k: nFunc, name: "abs", args: []*node{n}}
		}
		return p.fail()
	case tCmd:
		return p.command(t.text)
	}
	return p.fail()
}

// symbol reads a one-letter symbol with its subscript and primes.
func (p *parser) symbol(name string) *node {
	sub := p.subscript()
	name += sub
	for p.accept("'") {
		name += "'"
	}
	if sub == "" && name == "e" {
		return &node{k: nConst, name: "e"}
	}
	if sub == "" && name == "i" {
		return &node{k: nConst, name: "i"}
	}
	if len(name) == 1 && strings.Contains(uninterpreted, name) && p.is("(") && !p.toks[p.pos-1].sp {
		p.next()
		args := []*node{p.rel()}
		for p.accept(",") {
			args = append(args, p.rel())
		}
		p.expect(")")
		return &node{k: nFunc, name: "$" + name, args: args}
	}
	return &node{k: nSym, name: name}
}

// subscript reads "_x" or "_{…}" and returns it as text ("_{0}"), or "".
func (p *parser) subscript() string {
	if !p.accept("_") {
		return ""
	}
	if !p.is("{") {
		t := p.next()
		return "_{" + t.text + "}"
	}
	start := p.pos
	depth := 0
	for {
		t := p.next()
		if t.k == tEOF {
			p.fail()
			return ""
		}
		if t.k == tOp && t.text == "{" {
			depth++
		}
		if t.k == tOp && t.text == "}" {
			depth--
			if depth == 0 {
				break
			}
		}
	}
	var b strings.Builder
	b.WriteString("_")
	for _, t := range p.toks[start:p.pos] {
		b.WriteString(t.text)
	}
	return b.String()
}

// bracket reads "( … )" or "[ … ]" (possibly mixed) after its opening token.
func (p *parser) bracket(open string) *node {
	items := []*node{p.rel()}
	for p.accept(",") {
		items = append(items, p.rel())
	}
	closeTok := p.next()
	closer := closeTok.text
	if closeTok.k != tOp || (closer != ")" && closer != "]") {
		return p.fail()
	}
	if len(items) == 1 {
		if n := items[0]; n.k == nMatrix && n.name == "array" && n.rows == 2 && n.cols == 1 && open == "(" && closer == ")" {
			// \left(\begin{array}{c} n \\ k \end{array}\right) is a binomial coefficient
			return &node{k: nFunc, name: "binom", args: n.args}
		}
		if open == "(" && closer == ")" || open == "[" && closer == "]" {
			n := items[0]
			if n.k == nList { // "(p=5, q=2)" became a list
				n = &node{k: nTuple, args: n.args}
			}
			n.paren = true
			return n
		}
		return p.fail()
	}
	switch {
	case open == "(" && closer == ")":
		return &node{k: nTuple, args: items}
	case len(items) == 2:
		return &node{k: nInterval, args: items, lopen: open == "(", ropen: closer == ")"}
	case open == "[" && closer == "]":
		return &node{k: nTuple, args: items}
	}
	return p.fail()
}

// command reads a primary that starts with a backslash command.
func (p *parser) command(name string) *node {
	switch name {
	case `\frac`:
		a := p.arg()
		b := p.arg()
		return &node{k: nDiv, args: []*node{a, b}}
	case `\sqrt`:
		if p.accept("[") {
			n := p.expr()
			p.expect("]")
			x := p.arg()
			return &node{k: nPow, args: []*node{x, {k: nDiv, args: []*node{num(1), n}}}}
		}
		return &node{k: nFunc, name: "sqrt", args: []*node{p.arg()}}
	case `\binom`, `\choose`:
		a := p.arg()
		b := p.arg()
		return &node{k: nFunc, name: "binom", args: []*node{a, b}}
	case `\pi`:
		return &node{k: nConst, name: "pi"}
	case `\infty`, `\inf`:
		return &node{k: nConst, name: "inf"}
	case `\imath`:
		return &node{k: nConst, name: "i"}
	case `\{`:
		if p.accept(`\}`) {
			return &node{k: nSet}
		}
		items := []*node{p.rel()}
		for p.accept(",") {
			items = append(items, p.rel())
		}
		p.expect(`\}`)
		return &node{k: nSet, args: items}
	case `\lfloor`:
		n := p.expr()
		p.expect(`\rfloor`)
		return &node{k: nFunc, name: "floor", args: []*node{n}}
	case `\lceil`:
		n := p.expr()
		p.expect(`\rceil`)
		return &node{k: nFunc, name: "ceil", args: []*node{n}}
	case `\|`:
		p.abs++
		n := p.expr()
		p.abs--
		p.expect(`\|`)
		return &node{k: nFunc, name: "abs", args: []*node{n}}
	case `\operatorname`:
		g := p.rawGroup()
		if funcNames[g] {
			return p.function(g)
		}
		return p.function("$" + g)
	case `\exp`:
		return p.function("exp")
	}
	if strings.HasPrefix(name, `\begin{`) {
		return p.matrix(name)
	}
	fn := strings.TrimPrefix(name, `\`)
	if funcNames[fn] {
		return p.function(fn)
	}
	if decorations[name] {
		return p.symbol(name + "{" + p.rawGroup() + "}")
	}
	if len(name) > 2 && isLetter(name[1]) {
		return p.symbol(name)
	}
	return p.fail()
}

// rawGroup reads "{ … }" and returns its tokens as text.
func (p *parser) rawGroup() string {
	if !p.is("{") {
		t := p.next()
		return t.text
	}
	start := p.pos
	depth := 0
	for {
		t := p.next()
		if t.k == tEOF {
			p.fail()
			return ""
		}
		if t.k == tOp && t.text == "{" {
			depth++
		}
		if t.k == tOp && t.text == "}" {
			depth--
			if depth == 0 {
				break
			}
		}
	}
	var b strings.Builder
	for _, t := range p.toks[start+1 : p.pos-1] {
		b.WriteString(t.text)
	}
	return b.String()
}

// function reads a function application after its name: an optional base
// (\log_2), an optional power (\sin^2 x; ^{-1} means the inverse), then a
// parenthesised argument list or an implicit product (\sin 2x).
func (p *parser) function(name string) *node {
	var base, power *node
	for range 2 {
		if p.accept("_") {
			base = p.arg()
		}
		if p.accept("^") {
			power = p.exponent()
		}
	}
	if power != nil && isMinusOne(power) && strings.Contains("sin cos tan sec csc cot", name) {
		name, power = "arc"+name, nil
	}
	var args []*node
	if p.accept("(") {
		args = append(args, p.rel())
		for p.accept(",") {
			args = append(args, p.rel())
		}
		p.expect(")")
		// "\sin(x)^2"
	} else {
		a := p.unary()
		for p.err == nil && p.startsPrimary() && !p.startsFunction() {
			a = mul(a, p.postfix())
		}
		args = []*node{a}
	}
	f := &node{k: nFunc, name: name, args: args}
	if base != nil && (name == "log" || name == "lg") {
		f = &node{k: nDiv, args: []*node{{k: nFunc, name: "ln", args: args}, {k: nFunc, name: "ln", args: []*node{base}}}}
	}
	if power != nil {
		f = &node{k: nPow, args: []*node{f, power}}
	}
	return f
}

// startsFunction reports whether the next token is a known function.
func (p *parser) startsFunction() bool {
	t := p.peek()
	return t.k == tCmd && (funcNames[strings.TrimPrefix(t.text, `\`)] || t.text == `\operatorname`)
}

func isMinusOne(n *node) bool {
	return n.k == nNeg && n.args[0].k == nNum && n.args[0].num.Cmp(big.NewRat(1, 1)) == 0
}

// matrix reads the cells of a matrix environment up to its \end.
func (p *parser) matrix(begin string) *node {
	env := strings.TrimSuffix(strings.TrimPrefix(begin, `\begin{`), "}")
	m := &node{k: nMatrix, name: env}
	var row []*node
	for p.err == nil {
		if p.accept(`\end{` + env + `}`) {
			break
		}
		row = append(row, p.rel())
		switch {
		case p.accept("&"):
			continue
		case p.accept(`\\`):
		case p.is(`\end{` + env + `}`):
		default:
			return p.fail()
		}
		if m.cols == 0 {
			m.cols = len(row)
		} else if len(row) != m.cols {
			return p.fail()
		}
		m.args = append(m.args, row...)
		m.rows++
		row = row[:0]
	}
	if m.rows == 0 {
		return p.fail()
	}
	if env == "vmatrix" {
		return &node{k: nFunc, name: "det", args: []*node{m}}
	}
	return m
}

// assignmentList rewrites a list of assignments: "p=5, q=2" (distinct
// left sides) is the tuple (5, 2); "x=1, x=2" (one left side) is the list
// 1, 2. Other lists are returned unchanged.
func assignmentList(l *node) *node {
	if len(l.args) < 2 {
		return l
	}
	lhs := map[string]bool{}
	for _, a := range l.args {
		if a.k != nRel || len(a.ops) != 1 || a.ops[0] != "=" || !isAssignable(a.args[0]) {
			return l
		}
		lhs[key(a.args[0])] = true
	}
	out := &node{k: nTuple}
	if len(lhs) == 1 {
		out.k = nList
	} else if len(lhs) != len(l.args) {
		return l
	}
	for _, a := range l.args {
		out.args = append(out.args, a.args[1])
	}
	return out
}

// isAssignable reports whether n can be the left side of an assignment
// answer: a symbol ("x", "a_1", "k'") or a function value ("f(x)").
func isAssignable(n *node) bool {
	switch n.k {
	case nSym:
		return true
	case nFunc:
		return strings.HasPrefix(n.name, "$")
	}
	return false
}

// key is a compact text form of a tree, used to compare left sides.
func key(n *node) string {
	if n == nil {
		return ""
	}
	switch n.k {
	case nNum:
		return n.num.RatString()
	case nSym, nConst:
		return n.name
	}
	var b strings.Builder
	b.WriteByte(byte('A' + n.k))
	b.WriteString(n.name)
	b.WriteByte('(')
	for _, a := range n.args {
		b.WriteString(key(a))
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

func num(v int64) *node { return &node{k: nNum, num: big.NewRat(v, 1)} }

func neg(a *node) *node { return &node{k: nNeg, args: []*node{a}} }

func add(a, b *node) *node {
	if a.k == nAdd && !a.paren {
		a.args = append(a.args, b)
		return a
	}
	return &node{k: nAdd, args: []*node{a, b}}
}

func mul(a, b *node) *node {
	if a.k == nMul && !a.paren {
		a.args = append(a.args, b)
		return a
	}
	return &node{k: nMul, args: []*node{a, b}}
}
