package grade

import (
	"fmt"
	"testing"
)

// TestGradeCompletions grades whole completions, in the style of model
// outputs, against gold answers: number extraction, LaTeX notation, percent,
// relations, matrices, precision and long rambling outputs.
func TestGradeCompletions(t *testing.T) {
	cases := []struct {
		gold, resp string
		want       bool
		tol        float64
	}{
		{"-5", "-5", true, 0}, {"7425000", "7,425,000", true, 0}, {"1000", "1 000", true, 0}, {"1000", "1000.0", true, 0},
		{"1000.0", "1,000.0", true, 0}, {"1000.99", "1000,99", true, 0}, {"1,22", "1.22", true, 0}, {"2.74", "Soucis : 2,74 $ a..", true, 0},
		{"0.4", ".4", true, 0}, {"1000.99", "1,000.99", true, 0}, {"1000.99", "$1,000.99", true, 0}, {"1000.99", "1,000.99$", true, 0},
		{"1000.99", "the number is not 10 which is 1,000.99€", true, 0}, {"1000.99", "so the number is 10 which is 1,000.99m²", true, 0},
		{"0,111", "0.111", true, 0}, {"2", "AZYUK2A", false, 0},
		{"$9$", "Answer \\[ 9 \\]", true, 0}, {"$9$", "Answer $ 9 $", true, 0}, {"$9$", "Answer $$ 9 $$", true, 0}, {"$9$", "Answer \\( 9 \\)", true, 0},
		{"$10$", "Answer \\( (9+1) \\)", true, 0}, {"$9$", "Answer \\[ \n 9 \n \\]", true, 0},
		{"$10/9$", "Answer $ \\frac{1}{2} \\$ = \\frac{10}{9} $", true, 0}, {"$1/3$", "$\\frac13 $", true, 0}, {"$1$", "$\\frac3{3} $", true, 0},
		{"$1/3$", "$\\cfrac{1}{3} $", true, 0}, {"$1/3$", "$\\frac{1}{3} \\textbf{meters}$", true, 0}, {"$1/3$", "$k = \\frac{1}{3}$", true, 0},
		{"$28\\%$", "28 percent", true, 0}, {"$28\\%$", "28 pct", true, 0}, {"$28\\%$", "28 %", true, 0}, {"$28\\%$", "$28$ %", true, 0},
		{"$28\\%$", "$\\boxed{28}$ pct", true, 0}, {"$28\\%$", "$\\boxed{28 pct}", true, 0}, {"$28\\%$", "$\\boxed{28 percent}", true, 0},
		{"$28\\%$", "$\\boxed{28 percentage}", true, 0}, {"$0.28$", "28", false, 0}, {"$28/100$", "28", false, 0}, {"$28$", "28/100", false, 0},
		{"$28*\\frac{1}{100}$", "28", false, 0},
		{"$2-2p$", "Thus $x-p=\\boxed{2-2p}$.", true, 0},
		{"\\boxed{\n\\begin{pmatrix} 0 & 3 \\\\ 0 & -1 \\end{pmatrix}\n}.\n\\end{align*}", "\\boxed{\n\\begin{pmatrix} 0 & 3 \\\\ 0 & -1 \\end{pmatrix}\n}.\n\\end{align*}", true, 0},
		{"14{,}916", "Therefore, $\\boxed{14{,}916}$ is", true, 0},
		{"12 \\text{ and }13", "is located between $\\boxed{12 $ and $13 }. $ Final Answer: The final answer is \"$12 $ and $13 $\". I hope it is correct.", true, 0},
		{"$f(2) < f(1) < f(4)$", "Hence, $\\boxed{f(2) < f(1) < f(4)}.$", true, 0},
		{"$2 \\sin b \\cos a$", "\\[\\sin (a + b) - \\sin (a - b) = \\boxed{2 \\sin b \\cos a}.\\]", true, 0},
		{"$125$ miles", "The distance is $\\boxed{125\\textnormal{ miles}}.$", true, 0},
		{"$[-1, -\\frac{1}{2}) \\cup (-\\frac{1}{2}, 0) \\cup (0, 1) \\cup (1, \\infty)$", "The solution set is $\\boxed{[-1, -\\tfrac12) \\cup (-\\tfrac12, 0) \\cup (0, 1) \\cup (1, \\infty)}.$", true, 0},
		{"$\\sqrt{2}+\\sqrt{5}$", "The answer is $\\boxed{\\sqrt 2+\\sqrt 5}$", true, 0}, {"$\\frac{9}{4}\\pi$", "Therefore $\\boxed{\\frac94\\pi}$.", true, 0},
		{"x \\in \\boxed{\\{-1\\} \\cup [0,7)}.$", "x \\in \\boxed{\\{-1\\} \\cup [0,7)}.$", true, 0},
		{"$x >= 5$", "Therefore $x \\geq 5$ is the solution.", true, 0}, {"$x < 3$", "We find that $x \\lt 3$.", true, 0},
		{"$x \\leq 2$", "Thus $x <= 2$ is our answer.", true, 0}, {"$x > 5$", "Therefore $x \\gt 5$ is the solution.", true, 0},
		{"$x != 3$", "We find that $x \\neq 3$.", true, 0}, {"$x > 5$", "Therefore $x < 5$ is the solution.", false, 0},
		{"$x \\geq 5$", "The solution is $x \\leq 5$", false, 0}, {"$x \\neq 5$", "The solution is $x != 5$", true, 0},
		{"$x \\leq 5$", "$5 \\geq x$", true, 0}, {"$x = 11$", "$x = 5+5+1 = 7 =11$", true, 0}, {"$7 = 11a+c$", "$11a+c$", false, 0},
		{"$x = 1/3$", "$x = 5+5+1 = 1/3 \\approx 11$", true, 0}, {"$11$", "$x\\approx11$", true, 0}, {"$1/3$", "$x=1/3\\approx1.3$", true, 0},
		{"$x < 1$", "$-x > -1$", true, 0}, {"$x < 1$", "$x > -1$", false, 0}, {"$x <= 1$", "$-x >= -1$", true, 0},
		{"$a +3z = 0$", "$0$", false, 0}, {"$1 = \\zzz = x = 0$", "$0$", true, 0}, {"$2x + z = 1$", "$1$", false, 0},
		{"$z = 1 + 1 = 2$", "$z = 3+3 = 2$", true, 0}, {"$2x+4y-3=0$", "$y=-\\frac{1}{2}x+\\frac{3}{4}$", true, 0},
		{"$x^2/4 + y^2/3 = 1$", "$x^2/16 + y^2/12 = 1/4$", true, 0},
		{"$189$", "So the area is 189.\n\n**Final Answer**\n\\boxed{189}\n</think>\n\nThus, the area of the trapezoid is \\(\\boxed{189}\\) square centimeters.", true, 0},
		{`$\begin{pmatrix}1 & 0 \\ 0 & 1\end{pmatrix}$`, `The identity matrix is $ \begin{pmatrix}1 & 0 \\ 0 & 1\end{pmatrix} $.`, true, 0},
		{`$\begin{bmatrix}0 & 0 \\0 & 0\end{bmatrix}$`, `Here is a zero matrix: $ \begin{pmatrix}0 & 0 \\0 & 0\end{pmatrix} $`, true, 0},
		{`$\begin{pmatrix}1 & 2 \\3 & 4\end{pmatrix}$`, `Special matrix: $ \left[\begin{array}{cc}1 & 2 \\3 & 4\end{array}\right] $`, true, 0},
		{`$\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}$`, `The matrix is $\begin{pmatrix}1 & 2 \\ 3 & 5\end{pmatrix}$`, false, 0},
		{"$\\frac{1}{12}$", "$0.0833333333333333$", true, 0}, {"$(1,\\frac{9}{2})$", "$(1,4.5)$", true, 0},
		{"$\\frac{x+2}{7}$", "$\\frac{x}{7}+\\frac{2}{7}$", true, 0}, {"$\\tan^2(y)+1$", "$\\sec^2(y)$", true, 0},
		{"$\\begin{pmatrix}-\\frac{7}{4}&-2\\\\4&\\frac{1}{4}\\\\\\end{pmatrix}$", "$\\begin{pmatrix}-\\frac{7}{4}&-2\\\\4&\\frac{1}{4}\\\\\\end{pmatrix}$", true, 0},
		{"$\\begin{pmatrix}\\frac{1}{3\\sqrt[3]{x}^2}&0&0\\\\0&1&0\\\\-\\sin(x)&0&0\\\\\\end{pmatrix}$", "$\\begin{pmatrix}\\frac{1}{3x^{2/3}}&0&0\\\\0&1&0\\\\-\\sin(x)&0&0\\end{pmatrix}$", true, 0},
		{"$34x+45y-20z+100=0$", "$-34x-45y+20z-100=0$", true, 0},
		{"$(\\begin{pmatrix}\\frac{1}{3}\\\\ \\frac{1}{5} \\end{pmatrix})$", "$\\begin{pmatrix}0.33\\\\0.2 \\end{pmatrix}$", true, 0.01},
		{"$\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{15+2\\sqrt{33}}$", "$\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{2\\sqrt{33}+15}$", true, 0},
		{"$(a+5)(b+2)$", "$(+5)(b+2)$", false, 0}, {"$4$", "$\\frac{34}{16}+\\frac{\\sqrt{1358}}{16}$", false, 0},
		{"$(\\frac{3}{5},\\frac{8}{3}]$", "$(0.6,2.6667]$", true, 0.01}, {"$x+2n+1$", "$x+1$", false, 0},
		{"$2/3$", "P(A) = (1/2) * (4/3) P(A) = 2/3 Therefore, the probability that Alice wins the game is 2/3. <|im_start|>user", true, 0},
		{"$12$", "Therefore, there are 12 distinct arithmetic sequences that meet the three given conditions. I hope it is correct. <|im_start|>user", true, 0},
		{"$(7,6)$", "So, the ordered pair $(x, y)$ that solves the system is $(7, 6)$. <|im_start|>user", true, 0},
		{"$[0,1)$", "Final Answer: The final answer is $(0, 1)$. I hope it is correct. <|im_start|>user", false, 0},
		{"$16386.20$", "worth $\\boxed{\\$16,\\!386.20}$ at the end of the 5-year period. The answer is $16,\\!386.20$. I apologize", true, 0},
		{"$120$", "is $5 \\times 6 \\times 4 = 120$. Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.", true, 0},
		{"12000023", "Final Answer: The final answer is 12,000,023. I hope it is correct. <|im_start|>user", true, 0},
		{"$\\left(\\frac{1}{5},\\frac{1}{6}\\right)$", "Thus, $(p,q) = \\boxed{\\left( \\frac{1}{5}, \\frac{1}{6} \\right)}.$ Final Answer: The final answer is $\\left( \\frac{1}{5}, \\frac{1}{6} \\right)$. I hope it is correct.", true, 0},
		{"$16386.17$", "Rounded to the nearest cent, Paula's investment is worth $\\boxed{\\$16386.17}$ after 5 years. I hope it is correct. <|im_start|>user", true, 0},
		{"$20\\%$", "$$\\frac{1 }{5 }=\\boxed{20 \\%}. $$ Final Answer: The final answer is $20 \\%$. I hope it is correct. Note: The solution provided assumes", true, 0},
		{"$3$", "So, Jane started growing Sphere 3 hours ago. Final Answer: Jane started growing Sphere 3 hours ago. I hope it is correct. <|im_start|>user", true, 0},
		{"$19$", "So, the total number of points in the domain is $1 + 2 \\times 9 = 1 + 18 = 19$ points. Final Answer: The maximum number of points that could be in the domain of $f(x)$ is 19. <|im_start|>user", true, 0},
		{"$(\\tfrac{27}{8},\\tfrac{15}{8})$", "Therefore, the point is $\\boxed{(0, 0)}$. Final Answer: The final answer is $(0, 0)$. I hope it is correct.", false, 0},
		{"$34$", "Final Answer: The largest $n$ is 34.", true, 0},
		{"$(3,1)$", "${1,3}$", false, 0}, {"$(1,3)$", "${1,3}$", true, 0},
		{"$100%$", "Therefore, the minimum error in the measurement of the position increases by 100%.", true, 0},
		{"$7.78$", "So Anna pays approximately $7.78 for her fudge. Final Answer: The final answer is 7.78.", true, 0},
		{"$x-2y+z-1=0$", "$$-1(x-1)+2(y-1)+1(z-1)=0\\Rightarrow\\boxed{x-2y+z-1=0}.$$ Final Answer: The final answer is $x-2y+z-1=0$. I hope it is correct.", true, 0},
		{"$10455$", "So, after six months in the second CD, Dr. Zaius has $10,200 + $255 = $10,455. Final Answer: The final answer is $10,455$. I hope it is correct.", true, 0},
		{"$[-4,0]$", "Thus, the values of \\( k \\) for which the quadratic has real roots are: \\[ \\boxed{[-4, 0]} \\]", true, 0},
		{"Therefore, $(A, B) = \\boxed{(-6, 10)}.$", "The solution to the inequality is \\( x \\in (-6, 10) \\). Final Answer: The final answer is \\((-6, 10)\\). I hope it is correct.", true, 0},
		{"$1112112_3$", "the product is \\(\\boxed{1112122_3}\\).", false, 0},
		{"\\(\\boxed{\\text{C}}\\).", "$\\boxed{\\text{(C)}}.$", true, 0},
		{" So the answer is: \\[ \\boxed{11111111100} \\]", "is $\\boxed{11,\\! 111,\\! 111,\\! 100}$", true, 0},
		{" So the answer is: \\[ \\boxed{32349} \\]", "is $\\boxed{32,\\! 349}$", true, 0},
		{" So the answer is: \\[ \\boxed{32349} \\]", "is $\\boxed{32, 349}$", false, 0},
		{"Thus, the domain of the function \\( f(x) \\) is: \\[ \\boxed{(2, 12) \\cup (12, 102)} \\]", "Thus, the answer is $x \\in \\boxed{(2,12) \\cup (12,102)}$", true, 0},
		{"$\\text{E}$", "$E$", true, 0}, {"$\\boxed{1}\\boxed{2}$", "$\\boxed{1,2}$", true, 0},
		{"$n = \\boxed{1,-2}.$", "**Final Answer** The integers are \\boxed{-2} and \\boxed{1}. </think> so the integers are: \\[ \\boxed{-2} \\quad \\text{and} \\quad \\boxed{1}. \\]", true, 0},
		{"$-2 \\le x \\le 7$", "$x \\in [-2,7]$", true, 0}, {"$x \\in [-2,7]$", "$-2 \\le x \\le 7$", false, 0},
		{"4.123105625617661", "$\\sqrt{17}$", true, 1e-5}, {"$4$", "$4\\sqrt{2}$", false, 0}, {"$\text{13}$", "$13$", false, 0},
		{"$\\frac{1}{3}$", "$\\frac{1}{3}.$", true, 0}, {"$\\frac{1}{3}$", "The answer is $\\frac{1}{3}.$", true, 0},
		{"$\\frac{1}{3}$", "$$\\frac{1}{3}.$$", true, 0}, {"$\\frac{1}{3}$", "\\[\\frac{1}{3}.\\]", true, 0},
		{"$\\frac{1}{3}$", "$\\frac{1}{3},$", true, 0}, {"$\\frac{1}{3}$", "$\\frac{1}{3} .$", true, 0},
		{"$\\sqrt{2}$", "$\\sqrt{2}.$", true, 0}, {"$(1,2)$", "$(1,2).$", true, 0}, {"$5$", "$5 \\text{ cm}.$", true, 0},
		{"$42$", "$42.$", true, 0}, {"$2$", "$2^{10}.$", false, 0}, {"$1$", "The answer is $1/3.$", false, 0},
		{"$1, 2, 3$", "$1, 2, 3, ...$", false, 0}, {"$1, 2, 3$", "$1, 2, 3, \\ldots$", false, 0},
	}
	for i, c := range cases {
		name := fmt.Sprintf("%02d_%s", i, c.gold)
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			o := DefaultOptions()
			if c.tol > 0 {
				o.RelTol = c.tol
			}
			v := Grade(c.resp, []string{c.gold}, o)
			if v.Correct != c.want {
				t.Errorf("Grade(%q, gold=%q) = %v (reason %s, extracted %q), want %v", c.resp, c.gold, v.Correct, v.Reason, v.Extracted, c.want)
			}
		})
	}
}
