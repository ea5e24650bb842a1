package grade

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// verifyRow is one (gold, pred, expected) case.
type verifyRow struct {
	name string
	gold string
	pred string
	want bool
}

// runVerify runs a table of Verify cases, one subtest per row.
func runVerify(t *testing.T, rows []verifyRow) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			v := Verify([]string{r.gold}, r.pred, DefaultOptions())
			if v.Correct != r.want {
				t.Errorf("Verify(gold=%q, pred=%q) = %v (reason %s), want %v", r.gold, r.pred, v.Correct, v.Reason, r.want)
			}
			if v.Reason == "" {
				t.Errorf("Verify(gold=%q, pred=%q): empty reason", r.gold, r.pred)
			}
			if v.Correct != v.Reason.equal() {
				t.Errorf("Verify(gold=%q, pred=%q): Correct=%v but reason %s", r.gold, r.pred, v.Correct, v.Reason)
			}
		})
	}
}

func TestVerifyNumbers(t *testing.T) {
	runVerify(t, []verifyRow{
		{"same integer", "42", "42", true},
		{"different integer", "42", "43", false},
		{"leading zeros", "025", "25", true},
		{"leading zeros both", "004", "4", true},
		{"trailing .0", "27.0", "27", true},
		{"trailing .00", "142.0", "142.00", true},
		{"leading dot", ".4", "0.4", true},
		{"leading dot gold", ".0000672", "0.0000672", true},
		{"negative", "-50", "-50", true},
		{"negative vs positive", "-50", "50", false},
		{"thousands commas", "7425000", "7,425,000", true},
		{"thousands commas gold", "7,425,000", "7425000", true},
		{"thousands with \\!", "10,\\!080", "10080", true},
		{"thousands with {,}", "23{,}000", "23000", true},
		{"thousands spaces", "1000000", "1 000 000", true},
		{"thousands thin space", "1000", "1\\,000", true},
		{"list is not thousands", "32349", "32, 349", false},
		{"thousands 32,349", "32349", "32,\\!349", true},
		{"scientific e", "4.5e33", "4.5 \\times 10^{33}", true},
		{"scientific times", "7.5 \\times 10^7", "75000000", true},
		{"scientific negative exponent", "1e-5", "0.00001", true},
		{"scientific different", "3.61e-10", "2.55e-10", false},
		{"tiny values differ", "8.224 \\times 10^{-19}", "9 \\times 10^{-19}", false},
		{"decimal within tolerance", "0.3333333", "\\frac{1}{3}", true},
		{"decimal outside tolerance", "0.333", "\\frac{1}{3}", false},
		{"big integers exact", "1000000000000000000000000000001", "1000000000000000000000000000000", false},
		{"big integers equal", "2^{100}", "1267650600228229401496703205376", true},
		{"rounded answer is wrong", "0.265", "0.264", false},
		{"plus sign", "+2", "2", true},
		{"base subscript", "52_8", "52", true},
		{"base subscript braces", "4210_{5}", "4210", true},
		{"base subscript wrong", "52_8", "42", false},
		{"dollar sign", "\\$18.90", "18.9", true},
		{"dollar thousands", "\\$32,\\!348", "32348", true},
		{"currency word", "36", "36 dollars", true},
		{"12:00 is not 1:00", "12:00", "1:00", false},
		{"ratio", "3:2", "3:2", true},
		{"factorial", "120", "5!", true},
		{"binomial", "10", "\\binom{5}{2}", true},
		{"binomial unbraced", "10", "\\binom52", true},
	})
}

func TestVerifyFractions(t *testing.T) {
	runVerify(t, []verifyRow{
		{"slash vs frac", "10/9", "\\frac{10}{9}", true},
		{"dfrac", "\\dfrac{17}{50}", "\\frac{17}{50}", true},
		{"tfrac", "\\tfrac{1}{2}", "0.5", true},
		{"frac12", "\\frac12", "\\frac{1}{2}", true},
		{"frac 59", "\\frac 59", "5/9", true},
		{"frac9{19}", "\\frac9{19}", "\\frac{9}{19}", true},
		{"frac43", "\\frac43", "4/3", true},
		{"unreduced fraction", "\\frac{1}{2}", "\\frac{2}{4}", true},
		{"decimal of fraction", "\\frac{3}{2}", "1.5", true},
		{"different fraction", "\\frac{3}{56}", "\\frac{3}{65}", false},
		{"negative fraction", "-\\frac{35}{9}", "\\frac{-35}{9}", true},
		{"negative fraction sign inside", "-\\frac{3}{8}", "-3/8", true},
		{"wrong sign", "-\\frac{3}{8}", "\\frac{3}{8}", false},
		{"nested fraction", "\\frac{1}{\\frac{1}{2}}", "2", true},
		{"fraction with units text", "1/3", "\\frac{1}{3}\\text{meters}", true},
		{"frac over pi", "\\frac{20000}{\\pi}", "20000/\\pi", true},
		{"1-1/e vs 1+1/e", "1-\\frac1e", "1+\\frac1e", false},
		{"1-1/e", "1-\\frac{1}{e}", "\\frac{e-1}{e}", true},
	})
}

func TestVerifyRadicals(t *testing.T) {
	runVerify(t, []verifyRow{
		{"sqrt3 unbraced", "\\sqrt{3}", "\\sqrt3", true},
		{"simplified radical", "2\\sqrt{2}", "\\sqrt{8}", true},
		{"radical decimal", "\\sqrt{2}", "1.41421356", true},
		{"radical coarse decimal", "\\sqrt{2}", "1.41", false},
		{"4 is not 4 sqrt 2", "4", "4\\sqrt2", false},
		{"1 sqrt 19 is not 1", "1\\sqrt{19}", "1", false},
		{"2 is not golden ratio", "2", "\\frac{1+\\sqrt5}{2}", false},
		{"rationalised", "\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}", true},
		{"cube root", "5 \\sqrt[3]{4}", "5 \\cdot 4^{1/3}", true},
		{"cube root frac", "\\frac{8}{\\sqrt[3]{7}}", "8 \\cdot 7^{-1/3}", true},
		{"radical sum", "11 \\sqrt{5} + 11", "11(1+\\sqrt{5})", true},
		{"plain sqrt", "3\\sqrt{13}", "3*sqrt(13)", true},
		{"sqrt of 4 is 2", "2", "\\sqrt{4}", true},
	})
}

func TestVerifyPercentUnitsDegrees(t *testing.T) {
	runVerify(t, []verifyRow{
		{"percent sign", "8 \\%", "8", true},
		{"percent plain", "25", "25%", true},
		{"percent word", "25", "25 percent", true},
		{"percent is not fraction", "8\\%", "0.08", false},
		{"degrees", "90^\\circ", "90", true},
		{"degrees braces", "41.8^{\\circ}", "41.8", true},
		{"degrees word", "\\frac{270}7\\text{ degrees}", "\\frac{270}{7}", true},
		{"degrees unicode", "30^\\circ", "30°", true},
		{"text unit", "5.4 \\text{ cents}", "5.4", true},
		{"mbox unit squared", "864 \\mbox{ inches}^2", "864", true},
		{"unit squared", "15\\mbox{ cm}^2", "15", true},
		{"mathrm unit", "6.5 \\mathrm{~m}", "6.5", true},
		{"bare unit", "4.4677 \\times 10^{14} Hz", "4.4677 \\times 10^{14}", true},
		{"unit with negative exponents", "15000 \\text{ kcal m}^{-2} \\text{yr}^{-1}", "15000", true},
		{"plain unit word", "12", "12 inches", true},
		{"one-letter unit", "6.5", "6.5 m", true},
		{"arcseconds", "0.003^{\\prime \\prime}", "0.003", true},
		{"text answer", "\\text{Evelyn}", "Evelyn", true},
		{"text answer case", "\\text{east}", "East", true},
		{"text answers differ", "\\text{east}", "\\text{seat}", false},
		{"choice letter", "\\text{(C)}", "C", true},
		{"choice letter parens", "\\text{(C)}", "(C)", true},
		{"choice letter wrong", "\\text{(C)}", "(D)", false},
	})
}

func TestVerifyIntervals(t *testing.T) {
	runVerify(t, []verifyRow{
		{"same interval", "(3,4]", "(3,4]", true},
		{"different endpoint", "[0,9)", "[0,1)", false},
		{"open vs closed", "(0,9)", "[0,9)", false},
		{"right bracket differs", "(3,4]", "(3,4)", false},
		{"infinity", "(2,\\infty)", "(2, \\infty)", true},
		{"minus infinity", "(-\\infty, 0]", "(-\\infty,0]", true},
		{"left right", "\\left(\\frac{3}{5},\\frac{8}{3}\\right]", "(0.6, 8/3]", true},
		{"pi squared endpoints", "\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]", "[\\pi^2/8, 5\\pi^2/4]", true},
		{"union", "(-\\infty, 2) \\cup (3, \\infty)", "(-\\infty,2)\\cup(3,\\infty)", true},
		{"union reordered", "(0,9) \\cup (9,36)", "(9,36) \\cup (0,9)", true},
		{"union differs", "(0,9) \\cup (9,36)", "(0,9) \\cup [9,36)", false},
		{"x in interval", "x \\in [-2,7]", "[-2,7]", true},
		{"radical interval", "(-\\sqrt{3}, \\sqrt{3})", "(-\\sqrt3,\\sqrt3)", true},
	})
}

func TestVerifySets(t *testing.T) {
	runVerify(t, []verifyRow{
		{"set order", "\\{1,3\\}", "\\{3,1\\}", true},
		{"list order", "1,-2", "-2, 1", true},
		{"list vs set", "3, 5, 7", "\\{3,5,7\\}", true},
		{"list missing element", "3, 5, 7", "3, 5", false},
		{"tuple is not set", "(3,1)", "\\{1,3\\}", false},
		{"pm set", "\\{-2021, 2021\\}", "\\pm 2021", true},
		{"pm is not one value", "\\pm 2021", "2021", false},
		{"pm list", "1 \\pm \\sqrt{19}", "1+\\sqrt{19}, 1-\\sqrt{19}", true},
		{"pm in set", "\\{1\\pm\\sqrt{5},-2\\}", "-2, 1+\\sqrt5, 1-\\sqrt5", true},
		{"pm both", "3 \\pm 2 \\sqrt{2}", "3 \\pm 2\\sqrt2", true},
		{"pm assignment", "\\pm 3", "x = \\pm 3", true},
		{"pm assignment list", "3, -3", "x = \\pm 3", true},
		{"empty set", "\\emptyset", "\\{\\}", true},
		{"singleton set gold", "\\{5\\}", "5", true},
		{"singleton set pred", "5", "\\{5\\}", true},
		{"singleton set differs", "\\{5\\}", "6", false},
		{"text and joins", "2, 3, \\text{ and } 4", "2,3,4", true},
		{"olympiad list of dollars", "$\\frac{32}{9}$,$\\frac{1}{2}$", "\\frac{1}{2}, \\frac{32}{9}", true},
		{"list of functions", "$f(x)=-1$,$f(x)=x+1$", "f(x)=x+1, f(x)=-1", true},
		{"list of radians", "$\\frac{1}{6} \\pi, \\frac{5}{6} \\pi, \\frac{1}{4} \\pi, \\frac{3}{4} \\pi$", "\\frac{\\pi}{4}, \\frac{3\\pi}{4}, \\frac{\\pi}{6}, \\frac{5\\pi}{6}", true},
	})
}

func TestVerifyTuples(t *testing.T) {
	runVerify(t, []verifyRow{
		{"same tuple", "(6,31,-1)", "(6, 31, -1)", true},
		{"tuple order matters", "(15,-29)", "(-29,15)", false},
		{"polar point", "\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)", true},
		{"tuple bare list", "(1,-16,-4,43)", "1,-16,-4,43", true},
		{"tuples of assignments", "p=5,q=2;p=7,q=2", "(5,2),(7,2)", true},
		{"list of tuples unordered", "$(6,3),(9,3),(9,5),(54,5)$", "(9,5),(6,3),(54,5),(9,3)", true},
		{"list of tuples wrong", "$(2,2,2),(3,4,3)$", "(2,2,2),(3,3,4)", false},
		{"assignment tuple", "(2,4)", "x=2, y=4", true},
	})
}

func TestVerifyMatrices(t *testing.T) {
	runVerify(t, []verifyRow{
		{"same matrix", "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}", true},
		{"bmatrix", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}", true},
		{"element differs", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 5 \\end{pmatrix}", false},
		{"transposed", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}", false},
		{"vector fractions", "\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", "\\begin{pmatrix} -\\frac{1}{3} \\\\ \\frac{2}{3} \\\\ \\frac{5}{3} \\end{pmatrix}", true},
		{"vector as tuple", "\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}", "(-2,-14,-7)", true},
		{"matrix sum", "\\begin{pmatrix}6 & 8 \\\\ 10 & 12\\end{pmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix} + \\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}", true},
		{"matrix product", "\\begin{pmatrix}19 & 22 \\\\ 43 & 50\\end{pmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}\\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}", true},
		{"matrix product order", "\\begin{pmatrix}19 & 22 \\\\ 43 & 50\\end{pmatrix}", "\\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", false},
		{"scalar times matrix", "\\begin{pmatrix}2 & 4 \\\\ 6 & 8\\end{pmatrix}", "2\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", true},
		{"matrix over scalar", "\\begin{pmatrix}1/2 & 1 \\end{pmatrix}", "\\frac{1}{2}\\begin{pmatrix}1 & 2\\end{pmatrix}", true},
		{"negated matrix", "\\begin{pmatrix}-1 & -2\\end{pmatrix}", "-\\begin{pmatrix}1 & 2\\end{pmatrix}", true},
		{"shape differs", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\\\ 0 & 0 \\end{pmatrix}", false},
	})
}

func TestVerifyRelations(t *testing.T) {
	runVerify(t, []verifyRow{
		{"same equation", "y = 2x + 3", "y=2x+3", true},
		{"equation rearranged", "5x - 7y + 11z + 4 = 0", "-5x+7y-11z=4", true},
		{"equation scaled", "2x + 4y = 6", "x + 2y = 3", true},
		{"equation differs", "y = 2x + 3", "y = 2x - 3", false},
		{"flipped inequality", "x > 2", "2 < x", true},
		{"geqslant", "k \\geqslant 2", "k \\ge 2", true},
		{"strictness matters", "x > 2", "x \\ge 2", false},
		{"negated inequality scaled", "x < 3", "-2x > -6", true},
		{"gold inequality accepts interval", "0<f(x)<1", "(0,1)", true},
		{"gold inequality one sided", "x > 2", "(2,\\infty)", true},
		{"gold inequality closed", "x \\le 3", "(-\\infty, 3]", true},
		{"gold interval rejects inequality", "(2,\\infty)", "x > 2", false},
		{"inequality interval endpoints", "0 < x \\le 1", "(0,1)", false},
		{"ne", "x \\ne 3", "x \\neq 3", true},
		{"minerva equation", "m \\frac{d v}{d t}+b v=f", "m\\frac{dv}{dt} + bv = f", true},
	})
}

func TestVerifyAssignments(t *testing.T) {
	runVerify(t, []verifyRow{
		{"x = 5", "5", "x = 5", true},
		{"gold assignment", "x=5", "5", true},
		{"k = frac13", "\\frac13", "k=\\frac13", true},
		{"chain last wins", "11", "x=5+5+1=7=11", true},
		{"approx", "0.67", "x \\approx 0.67", true},
		{"n=3k is not 3", "3", "n=3k", false},
		{"n=3k is 3k", "3k", "n=3k", true},
		{"function assignment", "$f(n) = 2 n+1007$", "2n+1007", true},
		{"function assignment both", "$f(x)=\\frac{1}{x}$", "f(x) = 1/x", true},
		{"wrong rhs", "x=5", "x=6", false},
		{"subscript lhs", "M=2^{N-2}+1", "2^{N-2}+1", true},
		{"assignment of expression", "y = -2x", "-2x", true},
	})
}

func TestVerifyMixedNumbers(t *testing.T) {
	runVerify(t, []verifyRow{
		{"latex mixed number", "\\frac{40}{9}", "4\\frac{4}{9}", true},
		{"plain mixed number", "\\frac{40}{9}", "4 4/9", true},
		{"gold mixed number", "137 \\frac{1}{2}", "137.5", true},
		{"gold mixed 1 4/5", "1\\frac{4}{5}", "\\frac{9}{5}", true},
		{"4 is not 4 4/9", "4", "4 4/9", false},
		{"newline is not mixed", "\\frac{71}{6}", "11\n5/6", false},
		{"improper is a product", "3", "2\\frac{3}{2}", true},
		{"negative mixed", "-\\frac{40}{9}", "-4\\frac{4}{9}", true},
		{"negative plain mixed", "-\\frac{40}{9}", "-4 4/9", true},
		{"explicit plus mixed", "\\frac{71}{6}", "+11 5/6", true},
		{"zero whole", "\\frac{4}{9}", "0 4/9", true},
		{"boxed plain mixed", "\\frac{40}{9}", "\\boxed{4 4/9}", true},
		{"zero numerator", "4", "4 0/9", true},
		{"zero denominator", "4", "4 4/0", false},
		{"improper is not mixed", "12", "11 6/6", false},
		{"improper is not a product", "\\frac{77}{6}", "11 7/6", false},
		{"fraction then fraction", "\\frac{139}{90}", "11/10 4/9", false},
		{"decimal whole", "\\frac{103}{9}", "11.0 4/9", false},
		{"explicit sum", "\\frac{103}{9}", "11 + 4/9", true},
		{"explicit difference", "\\frac{103}{9}", "11 - 4/9", false},
	})
}

func TestVerifySymbolic(t *testing.T) {
	runVerify(t, []verifyRow{
		{"trig identity", "\\tan^2 y+1", "\\sec^2 y", true},
		{"expanded polynomial", "(a+5)(b+2)", "ab+2a+5b+10", true},
		{"polynomial differs", "x^3+3x-6", "x^3+3x+6", false},
		{"commuted", "p - q", "-q + p", true},
		{"cot", "\\cot x", "\\frac{\\cos x}{\\sin x}", true},
		{"implicit product", "2k+2", "2(k+1)", true},
		{"power", "5r^5", "5 r^{5}", true},
		{"pi", "288 \\pi", "288\\pi", true},
		{"pi numeric", "\\pi", "3.14159265", true},
		{"pi coarse", "\\pi", "3.14", false},
		{"log ratio", "$\\frac{\\log 2}{\\log 2-\\log 3}$", "\\frac{\\ln 2}{\\ln 2 - \\ln 3}", true},
		{"log base", "\\log_2 8", "3", true},
		{"floor", "$\\left\\lfloor\\log _{2} n\\right\\rfloor+1$", "\\lfloor \\log_2 n \\rfloor + 1", true},
		{"exp", "e^{2}", "\\exp(2)", true},
		{"uninterpreted function", "I(0)e^{-\\frac{t}{RC}}", "I(0) e^{-t/(RC)}", true},
		{"uninterpreted function differs", "I(0)e^{-\\frac{t}{RC}}", "I(0) e^{-2t/(RC)}", false},
		{"subscripts", "\\sqrt{4 \\pi G \\rho_{0} r_{0}^{2}}", "\\sqrt{4\\pi G\\rho_0 r_0^2}", true},
		{"subscripts differ", "x_{0}", "x_{1}", false},
		{"arcsin", "\\arcsin{\\frac{10}{13}}", "\\sin^{-1}(10/13)", true},
		{"numpy arcsin", "\\arcsin{\\frac{1}{1.3}}", "np.arcsin(10/13)", true},
		{"derivative prime", "y^{\\prime}+ry-rx(t)=0", "y'+ry-rx(t)=0", true},
		{"abs", "|x-1|", "\\left| x - 1 \\right|", true},
		{"abs is not identity", "|x|", "x", false},
		{"abs of square", "|x|^2", "x^2", true},
		{"floor differs from value", "\\lfloor x \\rfloor", "x", false},
		{"radical product", "\\sqrt{x}\\sqrt{y}", "\\sqrt{xy}", true},
		{"factorial symbol", "$\\frac{d !}{2 k(d-k) !}$", "\\frac{d!}{2k (d-k)!}", true},
		{"exponent tower", "2^{3^2}", "512", true},
		{"complex", "6 - 5i", "6-5i", true},
		{"complex reordered", "-2 + 7i", "7i - 2", true},
		{"complex differs", "1+2i", "1-2i", false},
		{"complex sqrt", "1 + i\\sqrt{3}", "1+\\sqrt{3}i", true},
		{"complex exp", "\\frac{e^{2it}}{2+2i}", "\\frac{(1-i)e^{2it}}{4}", true},
		{"cos shift", "\\sqrt{2} \\cos (2 t-\\pi / 4)", "\\cos(2t) + \\sin(2t)", true},
		{"half angle", "\\frac{1}{2}(e^{at} + e^{-at})", "\\cosh(at)", true},
	})
}

func TestVerifyLatexNotation(t *testing.T) {
	runVerify(t, []verifyRow{
		{"displaystyle", "\\frac{1}{2}", "\\displaystyle\\frac{1}{2}", true},
		{"left right parens", "\\frac{\\pi}{6}", "\\left(\\frac{\\pi}{6}\\right)", true},
		{"mathrm number", "3", "\\mathrm{3}", true},
		{"operatorname lcm", "6", "\\operatorname{lcm}(2,3)", true},
		{"tfrac unbraced", "\\frac{3}{4}", "\\tfrac34", true},
		{"thin spaces", "10", "\\,10\\,", true},
		{"times chain", "120", "5 \\times 4 \\times 3 \\times 2", true},
		{"cdot", "6", "2 \\cdot 3", true},
		{"sqrt index 2", "4", "\\sqrt[2]{16}", true},
		{"function without parens", "\\cos 2x", "\\cos(2x)", true},
		{"product of functions", "\\sin x \\cos x", "\\frac{\\sin 2x}{2}", true},
		{"log rules", "\\ln(xy)", "\\ln x + \\ln y", true},
		{"subscript braces", "x_1", "x_{1}", true},
		{"mathbf symbol", "\\mathbf{v}", "v", true},
		{"vec unbraced", "\\vec{v}", "\\vec v", true},
		{"unicode", "\\pi \\le x", "π ≤ x", true},
		{"unicode minus", "-3", "−3", true},
		{"unicode pm", "\\pm 2", "±2", true},
		{"unicode squared", "x^2", "x²", true},
		{"unicode half", "\\frac{1}{2}", "½", true},
		{"leading approx", "3.14", "\\approx 3.14", true},
		{"leading equals", "3", "= 3", true},
		{"ordinal text", "5", "5^{\\text{th}}", true},
		{"spaced bold digits", "14400", "120 \\cdot 120=\\mathbf{1 4 4 0 0}", true},
		{"spaced bold negative", "-10", "\\mathbf{- 1 0}", true},
		{"spaced bold fraction", "\\frac{9}{32}", "\\frac{\\mathbf{9}}{\\mathbf{3 2}}", true},
		{"array binomial", "3432", "\\left(\\begin{array}{c}14 \\\\ 7\\end{array}\\right)", true},
		{"equality chain with symbols", "\\frac{505}{8076}", "\\frac{505 \\alpha}{2 \\pi}=\\frac{505}{2 \\cdot 4038}=\\frac{\\mathbf{5 0 5}}{\\mathbf{8 0 7 6}} .", true},
		{"dfrac in dfrac", "\\dfrac{\\dfrac{1}{2}}{3}", "1/6", true},
		{"big parens", "\\Big(1,2\\Big)", "(1,2)", true},
		{"equality chain numeric", "5", "2+3=5", true},
		{"decimal comma", "1000.99", "1000,99", true},
		{"inequality list gold", "x \\le -1 \\text{ or } x \\ge 1", "(-\\infty,-1] \\cup [1,\\infty)", true},
		{"scaled interval bracket", "[2, \\infty)", "[2,\\infty)", true},
		{"gold geq accepts interval", "k \\geqslant 2", "[2, \\infty)", true},
	})
}

// TestVerifyFalsePositives holds the documented false positives of other
// graders; all must be negatives here.
func TestVerifyFalsePositives(t *testing.T) {
	runVerify(t, []verifyRow{
		{"1-1/e vs 1+1/e", "1+\\frac{1}{e}", "1-\\frac{1}{e}", false},
		{"n=3k is not 3", "3", "n=3k", false},
		{"32349 vs 32, 349", "32349", "32, 349", false},
		{"pm 2021 vs 2021", "2021", "\\pm 2021", false},
		{"12:00 vs 1:00", "1:00", "12:00", false},
		{"4 vs 4 sqrt 2", "4", "4\\sqrt{2}", false},
		{"tab-corrupted text", "\\text{east}", "\text{east}", false},
		{"tab-corrupted frac", "\\frac{1}{2}", "\frac{1}{2}", false},
		{"unparsable span leaks no integer", "1", "\\frac{1}{", false},
		{"unparsable span leaks no integer 2", "2", "\\sqrt{2", false},
		{"ref times 100", "0.25", "25", false},
		{"ref over 100", "25", "0.25", false},
		{"unreduced vs reduced is fine", "\\frac{2}{4}", "\\frac{1}{2}", true},
		{"bare 2sqrt2 is not 2", "2\\sqrt{2}", "2", false},
		{"qualifier text kept out", "5", "\\text{5 or 6}", false},
		{"interval is not inequality", "[0,1]", "0 \\le x \\le 1", false},
		{"overflow is not equality", "100000!+1", "100000!", false},
		{"big power overflow", "2^{40000}+1", "2^{40000}", false},
		{"tower overflow", "9^{9^{9^{9}}}", "9^{9^{9^{9}}}+1", false},
	})
}

func TestVerifyGoldForms(t *testing.T) {
	for _, r := range []struct {
		name string
		gold []string
		pred string
		want bool
	}{
		{"minerva trailing newline", []string{"9.6\n"}, "9.6", true},
		{"minerva alternatives", []string{"6630.65\n", "6630\n"}, "6630", true},
		{"minerva alternatives none", []string{"6630.65\n", "6630\n"}, "6631", false},
		{"olympiad dollars", []string{"$2 \\sqrt{2}$"}, "2\\sqrt2", true},
		{"olympiad bare 2sqrt2", []string{"2 \\sqrt{2}"}, "2.8284271", true},
		{"boxed gold", []string{"\\boxed{\\frac{1}{2}}"}, "0.5", true},
		{"boxed pred", []string{"0.5"}, "\\boxed{\\frac{1}{2}}", true},
		{"aime leading zero", []string{"025"}, "25", true},
		{"amc float", []string{"27.0"}, "27", true},
		{"int gold", []string{"0"}, "0", true},
		{"empty gold", []string{"", "  "}, "5", false},
		{"no gold", nil, "5", false},
	} {
		t.Run(r.name, func(t *testing.T) {
			v := Verify(r.gold, r.pred, DefaultOptions())
			if v.Correct != r.want {
				t.Errorf("Verify(gold=%q, pred=%q) = %v (reason %s), want %v", r.gold, r.pred, v.Correct, v.Reason, r.want)
			}
			if v.Correct && v.Matched == "" {
				t.Errorf("Verify(gold=%q, pred=%q): Matched is empty", r.gold, r.pred)
			}
		})
	}
	t.Run("empty prediction reason", func(t *testing.T) {
		if v := Verify([]string{"5"}, "  ", DefaultOptions()); v.Reason != NoAnswer {
			t.Errorf("Verify(5, blank) reason %s, want %s", v.Reason, NoAnswer)
		}
		if v := Verify([]string{""}, "", DefaultOptions()); v.Reason != EmptyGold {
			t.Errorf("Verify(blank, blank) reason %s, want %s", v.Reason, EmptyGold)
		}
	})
	t.Run("empty gold reason", func(t *testing.T) {
		if v := Verify([]string{""}, "5", DefaultOptions()); v.Reason != EmptyGold {
			t.Errorf("Verify(empty gold) reason %s, want %s", v.Reason, EmptyGold)
		}
	})
	t.Run("absolute tolerance", func(t *testing.T) {
		opts := DefaultOptions()
		opts.AbsTol = 0.01
		if v := Verify([]string{"0.265"}, "0.264", opts); !v.Correct {
			t.Errorf("AbsTol 0.01: 0.264 vs 0.265 = %v (%s), want true", v.Correct, v.Reason)
		}
		if v := Verify([]string{"0.265"}, "0.25", opts); v.Correct {
			t.Errorf("AbsTol 0.01: 0.25 vs 0.265 = %v (%s), want false", v.Correct, v.Reason)
		}
	})
	t.Run("relative tolerance", func(t *testing.T) {
		opts := DefaultOptions()
		opts.RelTol = 0.01
		if v := Verify([]string{"6630.65"}, "6600", opts); !v.Correct {
			t.Errorf("RelTol 0.01: 6600 vs 6630.65 = %v (%s), want true", v.Correct, v.Reason)
		}
	})
}

func TestExtract(t *testing.T) {
	for _, r := range []struct {
		name, response, want string
		reason               Reason
	}{
		{"last box", "first \\boxed{1} then \\boxed{2}", "2", ""},
		{"nested braces", "so \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}", ""},
		{"fbox", "answer \\fbox{7}", "7", ""},
		{"boxed space token", "so $\\boxed 5$", "5", ""},
		{"thinking stripped", "<think>maybe \\boxed{3}</think> The answer is \\boxed{4}", "4", ""},
		{"last close wins", "<think>a</think> b </think> \\boxed{9}", "9", ""},
		{"unterminated think", "<think> I think \\boxed{3} is", "", UnterminatedThink},
		{"think inside answer", "</think> ok \\boxed{3} <think> more", "", UnterminatedThink},
		{"unbalanced box", "so \\boxed{\\frac{1}{2}", "", UnbalancedBox},
		{"multi box and", "\\boxed{1} and \\boxed{2}", "1, 2", ""},
		{"multi box comma", "$\\boxed{1}$, $\\boxed{2}$", "1, 2", ""},
		{"multi box or", "\\boxed{1} or \\boxed{-1}", "1, -1", ""},
		{"boxes separated by words", "\\boxed{1} is wrong, the answer is \\boxed{2}", "2", ""},
		{"final answer is", "The final answer is $42$. I hope it is correct.", "42", ""},
		{"final answer is plain", "The final answer is 42.", "42", ""},
		{"answer colon", "Work...\nAnswer: 17", "17", ""},
		{"gsm8k", "so 5+5=10\n#### 10", "10", ""},
		{"answer tag", "<think>2+2</think> <answer> $4$ </answer>", "$4$", ""},
		{"box beats answer tag", "<answer>4</answer> so \\boxed{5}", "5", ""},
		{"display math", "We get\n\\[ x = \\frac{1}{2} \\]\nDone", "x = \\frac{1}{2}", ""},
		{"display dollars", "We get $$3\\pi$$ done", "3\\pi", ""},
		{"inline math last", "First $x=1$, then $y=2$.", "y=2", ""},
		{"inline not across newline", "cost $5\nand then $x$", "x", ""},
		{"escaped dollar", "The final answer is $\\$32,\\!348$", "\\$32,\\!348", ""},
		{"last number", "the result is 1,234 apples", "1,234", ""},
		{"last number decimal", "we get 3.5.", "3.5", ""},
		{"negative number", "it equals -7", "-7", ""},
		{"no answer", "I don't know", "", NoAnswer},
		{"empty", "", "", NoAnswer},
		{"box with dollar", "\\boxed{\\$36}", "\\$36", ""},
		{"answer is in a sentence", "So the answer is 12 because we doubled it.", "12", ""},
		{"answer is short", "So the answer is 12 cm.", "12 cm", ""},
		{"answer is thus", "With $s=6$ the answer is thus $6 \\sqrt{2}-2$. It remains to check that the other case is impossible. Applying the theorem gives nothing.", "6 \\sqrt{2}-2", ""},
		{"answer is therefore plain", "So the answer is therefore 8.", "8", ""},
		{"is-clause only in the answer's sentence", "The answer: the area of $R$ is 12. The other case is impossible. Done.", "12", ""},
		{"final answer display", "Final answer:\n$$\n\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}\n$$", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", ""},
	} {
		t.Run(r.name, func(t *testing.T) {
			got, why := Extract(r.response)
			if got != r.want || why != r.reason {
				t.Errorf("Extract(%q) = %q, %q; want %q, %q", r.response, got, why, r.want, r.reason)
			}
		})
	}
}

func TestExtractRulesInPriorityOrder(t *testing.T) {
	for i := 1; i < len(rules); i++ {
		if rules[i].priority <= rules[i-1].priority {
			t.Errorf("rule %s (priority %d) listed after %s (priority %d)", rules[i].name, rules[i].priority, rules[i-1].name, rules[i-1].priority)
		}
	}
}

func TestGradeMultipleAnswers(t *testing.T) {
	for _, r := range []struct {
		name, response string
		gold           []string
		want           bool
	}{
		{"two boxes set", "The roots are \\boxed{1} and \\boxed{2}.", []string{"1, 2"}, true},
		{"two boxes reversed", "\\boxed{2}, \\boxed{1}", []string{"1,2"}, true},
		{"two boxes vs pm", "\\boxed{3+\\sqrt2} or \\boxed{3-\\sqrt2}", []string{"3 \\pm \\sqrt{2}"}, true},
		{"one of two is not enough", "\\boxed{1}", []string{"1, 2"}, false},
		{"separate boxes not joined", "\\boxed{1} is not it; finally \\boxed{2}", []string{"1, 2"}, false},
	} {
		t.Run(r.name, func(t *testing.T) {
			v := Grade(r.response, r.gold, DefaultOptions())
			if v.Correct != r.want {
				t.Errorf("Grade(%q, %q) = %v (reason %s, extracted %q), want %v", r.response, r.gold, v.Correct, v.Reason, v.Extracted, r.want)
			}
		})
	}
}

func TestGradeReasons(t *testing.T) {
	opts := DefaultOptions()
	for _, r := range []struct {
		name, response string
		gold           []string
		reason         Reason
		extracted      string
	}{
		{"string", "\\boxed{42}", []string{"42"}, EqualString, "42"},
		{"numeric", "\\boxed{42.0}", []string{"42"}, EqualNumeric, "42.0"},
		{"symbolic", "\\boxed{2(x+1)}", []string{"2x+2"}, EqualSymbolic, "2(x+1)"},
		{"structural", "\\boxed{(1, 2.0)}", []string{"(1,2)"}, EqualStructural, "(1, 2.0)"},
		{"not equal", "\\boxed{41}", []string{"42"}, NotEqual, "41"},
		{"parse error", "\\boxed{\\frac{1}{}}", []string{"42"}, ParseError, "\\frac{1}{}"},
		{"no answer", "no idea", []string{"42"}, NoAnswer, ""},
		{"unterminated", "<think>hmm", []string{"42"}, UnterminatedThink, ""},
		{"unbalanced", "\\boxed{42", []string{"42"}, UnbalancedBox, ""},
		{"empty gold", "\\boxed{42}", []string{""}, EmptyGold, "42"},
	} {
		t.Run(r.name, func(t *testing.T) {
			v := Grade(r.response, r.gold, opts)
			if v.Reason != r.reason || v.Extracted != r.extracted {
				t.Errorf("Grade(%q, %q) = reason %s extracted %q, want %s %q", r.response, r.gold, v.Reason, v.Extracted, r.reason, r.extracted)
			}
		})
	}
}

// TestGradeAdversarial feeds inputs that hang or crash other graders; each
// must finish within the work budget without panicking.
func TestGradeAdversarial(t *testing.T) {
	nested := strings.Repeat("{", 1<<20) + strings.Repeat("}", 1<<20)
	for _, r := range []struct {
		name, response string
		gold           []string
	}{
		{"megabyte of braces", "\\boxed" + nested, []string{"1"}},
		{"megabyte of open braces", "\\boxed" + strings.Repeat("{", 1<<20), []string{"1"}},
		{"megabyte of parens", "\\boxed{" + strings.Repeat("(", 1<<20) + "}", []string{"1"}},
		{"power tower", "\\boxed{9^9^9^9}", []string{"9^9^9^9 + 1"}},
		{"power tower braces", "\\boxed{9^{9^{9^{9}}}}", []string{"1"}},
		{"huge factorial", "\\boxed{100000!}", []string{"100000! + 1"}},
		{"math-verify hang", "\\boxed{\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}}", []string{"\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-4}{16}"}},
		{"math-verify hang vs number", "\\boxed{\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}}", []string{"3"}},
		{"huge binomial", "\\boxed{\\binom{10^{9}}{5 \\cdot 10^{8}}}", []string{"1"}},
		{"many pm", "\\boxed{" + strings.Repeat("1\\pm ", 200) + "1}", []string{"1"}},
		{"long sum", "\\boxed{" + strings.Repeat("x+", 100000) + "x}", []string{"100001x"}},
		{"long number", "\\boxed{" + strings.Repeat("9", 100000) + "}", []string{strings.Repeat("9", 100000)}},
		{"deep sqrt", "\\boxed{" + strings.Repeat("\\sqrt{", 5000) + "2" + strings.Repeat("}", 5000) + "}", []string{"1"}},
		{"deep fractions", "\\boxed{" + strings.Repeat("\\frac{1}{1+", 3000) + "1" + strings.Repeat("}", 3000) + "}", []string{"0.618"}},
		{"big set", "\\boxed{\\{" + strings.Repeat("1,", 10000) + "1\\}}", []string{"\\{" + strings.Repeat("2,", 10000) + "1\\}"}},
		{"many symbols", "\\boxed{" + strings.Repeat("a_{1}b_{2}", 2000) + "}", []string{"1"}},
		{"exponent of exponent", "\\boxed{10^{10^{10}}}", []string{"10^{10^{10}}+1"}},
		{"big exact power", "\\boxed{2^{30000}}", []string{"2^{30000}+1"}},
		{"many thinks", strings.Repeat("<think></think>", 100000) + "\\boxed{1}", []string{"1"}},
		{"many boxes", strings.Repeat("\\boxed{1} and ", 100000), []string{"1"}},
		{"many dollars", strings.Repeat("$", 1<<20), []string{"1"}},
		{"many backslashes", strings.Repeat("\\", 1<<20), []string{"1"}},
		{"many words", strings.Repeat("word ", 200000) + " the final answer is 3", []string{"3"}},
		{"null bytes", "\\boxed{\x00\x01\xff}", []string{"1"}},
		{"invalid utf8", "\\boxed{\xff\xfe 1}", []string{"1"}},
	} {
		t.Run(r.name, func(t *testing.T) {
			opts := DefaultOptions()
			v := Grade(r.response, r.gold, opts)
			if v.Reason == "" {
				t.Errorf("empty reason (verdict %+v)", v)
			}
			if v.Correct && strings.Contains(r.name, "hang") {
				t.Errorf("unexpected match: %+v", v)
			}
		})
	}
}

// TestWorkBudget checks that a small budget ends in a timeout verdict and
// the default budget decides the same input.
func TestWorkBudget(t *testing.T) {
	var g, p []string
	for i := range 40 {
		g = append(g, fmt.Sprintf("\\sin(x+%d)^2+\\sqrt{z+%d}", i, i))
		p = append(p, fmt.Sprintf("\\sin(x+%d)^2+\\sqrt{z+%d}", 39-i, 39-i))
	}
	gold := "\\{" + strings.Join(g, ",") + "\\}"
	pred := "\\{" + strings.Join(p, ",") + "\\}"
	opts := DefaultOptions()
	if v := Verify([]string{gold}, pred, opts); !v.Correct {
		t.Errorf("default budget: %+v, want equal", v)
	}
	opts.WorkBudget = 2000
	if v := Verify([]string{gold}, pred, opts); v.Correct || v.Reason != Timeout {
		t.Errorf("budget 2000: reason %s correct %v, want %s", v.Reason, v.Correct, Timeout)
	}
}

// TestVerifyConcurrent grades from many goroutines at once; run with -race.
func TestVerifyConcurrent(t *testing.T) {
	cases := []verifyRow{
		{"", "\\frac{1}{2}", "0.5", true},
		{"", "\\tan^2 y+1", "\\sec^2 y", true},
		{"", "(0,1)", "[0,1)", false},
		{"", "\\{1,2\\}", "2, 1", true},
	}
	workers := 4 * runtime.GOMAXPROCS(0)
	errs := make(chan string, workers)
	for w := range workers {
		go func() {
			for i := range 200 {
				r := cases[(i+w)%len(cases)]
				if v := Verify([]string{r.gold}, r.pred, DefaultOptions()); v.Correct != r.want {
					errs <- fmt.Sprintf("Verify(%q, %q) = %v (%s)", r.gold, r.pred, v.Correct, v.Reason)
					return
				}
			}
			errs <- ""
		}()
	}
	for range workers {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// TestVerifySetRelationAsymmetry: gold is passed as gold. A gold inequality
// accepts the predicted interval (or set membership) it describes; a gold
// interval does not accept a predicted inequality.
func TestVerifySetRelationAsymmetry(t *testing.T) {
	runVerify(t, []verifyRow{
		{"gold chain, pred membership", "-2 \\le x \\le 7", "x \\in [-2,7]", true},
		{"gold chain, pred interval", "-2 \\le x \\le 7", "[-2,7]", true},
		{"gold membership, pred chain", "x \\in [-2,7]", "-2 \\le x \\le 7", false},
		{"gold interval, pred chain", "[-2,7]", "-2 \\le x \\le 7", false},
		{"gold one-sided, pred interval", "x < 3", "(-\\infty, 3)", true},
		{"gold one-sided, pred wrong bracket", "x < 3", "(-\\infty, 3]", false},
		{"gold membership, pred same membership", "x \\in [-2,7]", "x \\in [-2, 7]", true},
	})
}

// TestVerifyPrecision checks per-case tolerances, as benchmarks with
// significant-figure answers (Minerva, OlympiadBench "error") need.
func TestVerifyPrecision(t *testing.T) {
	for _, r := range []struct {
		name       string
		gold, pred string
		relTol     float64
		want       bool
	}{
		{"sqrt17 at 1e-5", "4.123105625617661", "\\sqrt{17}", 1e-5, true},
		{"third at 1e-3", "\\frac{1}{3}", "0.333", 1e-3, true},
		{"third at 1e-4", "\\frac{1}{3}", "0.333", 1e-4, false},
		{"one and a third", "\\frac{4}{3}", "1.333", 1e-3, true},
		{"interval at 1e-2", "(\\frac{3}{5},\\frac{8}{3}]", "(0.6,2.6667]", 1e-2, true},
		{"vector at 2e-2", "\\begin{pmatrix}\\frac{1}{3}\\\\ \\frac{1}{5} \\end{pmatrix}", "\\begin{pmatrix}0.33\\\\0.2 \\end{pmatrix}", 2e-2, true},
		{"integers stay exact by default", "5866608", "5866609", 0, false},
		{"integers within a coarse tolerance", "4100", "4080", 1e-2, true},
		{"integers outside a coarse tolerance", "4100", "4000", 1e-2, false},
		{"default is strict", "6630.65", "6630.6", 0, false},
		{"twelfth", "\\frac{1}{12}", "0.0833333333333333", 0, true},
		{"exact forms are tight", "288\\pi", "288\\pi + 10^{-4}", 0, false},
		{"exact forms symbolic", "t^2-121", "t^2-121+10^{-4}", 0, false},
		{"decimal of exact form", "288\\pi", "904.7786842", 0, true},
		{"coarse tolerance loosens exact forms", "288\\pi", "288\\pi + 10^{-4}", 1e-5, true},
	} {
		t.Run(r.name, func(t *testing.T) {
			opts := DefaultOptions()
			if r.relTol > 0 {
				opts.RelTol = r.relTol
			}
			if v := Verify([]string{r.gold}, r.pred, opts); v.Correct != r.want {
				t.Errorf("Verify(gold=%q, pred=%q, RelTol=%g) = %v (reason %s), want %v", r.gold, r.pred, opts.RelTol, v.Correct, v.Reason, r.want)
			}
		})
	}
}
