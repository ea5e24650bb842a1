package grade

import (
	"math"
	"math/big"
	"math/cmplx"
)

// Evaluation computes the value of a scalar tree. With exact set, rational
// arithmetic is kept exact in math/big as long as every operation is
// rational and intermediate sizes stay under maxExactBits; the complex128
// value is always computed too. Free symbols take deterministic
// pseudo-random values that depend on the symbol's name and the point index,
// so both sides of a comparison see the same values.

// value is the value of a scalar expression: exact when it is a known
// rational, else the complex128 f.
type value struct {
	exact *big.Rat
	f     complex128
}

// z returns the value as a complex128 (an exact value is converted on
// demand, so exact arithmetic never pays for float conversions).
func (v value) z() complex128 {
	if v.exact != nil {
		f, _ := v.exact.Float64()
		return complex(f, 0)
	}
	return v.f
}

// evaluator evaluates trees at one point within a work budget.
type evaluator struct {
	w     *work
	point int  // which random point free symbols take
	exact bool // try exact rational arithmetic
}

const (
	// maxExactBits caps the size of an exact intermediate; larger values
	// continue in floating point (where they overflow to ±Inf).
	maxExactBits = 1 << 15
	// maxFactorial is the largest n whose n! is computed exactly.
	maxFactorial = 1000
)

func exactValue(r *big.Rat) value { return value{exact: r} }

func floatValue(c complex128) value { return value{f: c} }

// eval returns the value of n, or ok = false for nodes that have no scalar
// value (tuples, relations, unknown functions) or when the budget runs out.
func (e *evaluator) eval(n *node) (value, bool) {
	if n == nil || !e.w.spend(1) {
		return value{}, false
	}
	switch n.k {
	case nNum:
		if e.exact {
			return exactValue(n.num), true
		}
		f, _ := n.num.Float64()
		return floatValue(complex(f, 0)), true
	case nSym:
		return floatValue(complex(symbolValue(n.name, e.point), 0)), true
	case nConst:
		switch n.name {
		case "pi":
			return floatValue(math.Pi), true
		case "e":
			return floatValue(math.E), true
		case "i":
			return floatValue(1i), true
		case "inf":
			return floatValue(complex(math.Inf(1), 0)), true
		}
	case nNeg:
		a, ok := e.eval(n.args[0])
		if !ok {
			return a, false
		}
		if a.exact != nil {
			return exactValue(new(big.Rat).Neg(a.exact)), true
		}
		return floatValue(-a.z()), true
	case nAdd, nMul:
		acc, ok := e.eval(n.args[0])
		for _, arg := range n.args[1:] {
			if !ok {
				break
			}
			var b value
			if b, ok = e.eval(arg); ok {
				acc = e.arith(n.k, acc, b)
			}
		}
		return acc, ok
	case nDiv:
		a, ok1 := e.eval(n.args[0])
		b, ok2 := e.eval(n.args[1])
		if !ok1 || !ok2 {
			return value{}, false
		}
		return e.arith(nDiv, a, b), true
	case nPow:
		a, ok1 := e.eval(n.args[0])
		b, ok2 := e.eval(n.args[1])
		if !ok1 || !ok2 {
			return value{}, false
		}
		return e.pow(a, b), true
	case nFunc:
		return e.call(n)
	}
	return value{}, false
}

// arith applies +, · or / to a and b, exactly when both are exact and the
// result stays small.
func (e *evaluator) arith(op kind, a, b value) value {
	if a.exact != nil && b.exact != nil {
		bits := a.exact.Num().BitLen() + a.exact.Denom().BitLen() + b.exact.Num().BitLen() + b.exact.Denom().BitLen()
		if bits < maxExactBits && e.w.spend(2+bits/64) { // a big.Rat operation allocates: at least 2 steps
			r := new(big.Rat)
			switch op {
			case nAdd:
				return exactValue(r.Add(a.exact, b.exact))
			case nMul:
				return exactValue(r.Mul(a.exact, b.exact))
			case nDiv:
				if b.exact.Sign() != 0 {
					return exactValue(r.Quo(a.exact, b.exact))
				}
			}
		}
	}
	switch op {
	case nAdd:
		return floatValue(a.z() + b.z())
	case nMul:
		return floatValue(a.z() * b.z())
	}
	if b.z() == 0 {
		return floatValue(complex(math.Inf(1), 0))
	}
	return floatValue(a.z() / b.z())
}

// pow computes a^b: exactly for a rational base and a small integer
// exponent, else in floating point (real when a ≥ 0 and b are real).
func (e *evaluator) pow(a, b value) value {
	if a.exact != nil && b.exact != nil && b.exact.IsInt() && b.exact.Num().IsInt64() {
		k := b.exact.Num().Int64()
		bits := int64(a.exact.Num().BitLen() + a.exact.Denom().BitLen())
		absK := k
		if absK < 0 {
			absK = -absK
		}
		if absK <= maxExactBits && bits*absK <= maxExactBits && (k >= 0 || a.exact.Sign() != 0) && e.w.spend(int(bits*absK/64)) {
			x := big.NewInt(absK)
			num := new(big.Int).Exp(a.exact.Num(), x, nil)
			den := new(big.Int).Exp(a.exact.Denom(), x, nil)
			r := new(big.Rat).SetFrac(num, den)
			if k < 0 {
				r.Inv(r)
			}
			return exactValue(r)
		}
	}
	if imag(a.z()) == 0 && imag(b.z()) == 0 && (real(a.z()) >= 0 || real(b.z()) == math.Trunc(real(b.z()))) {
		return floatValue(complex(math.Pow(real(a.z()), real(b.z())), 0))
	}
	if a.z() == 0 {
		return floatValue(0)
	}
	return floatValue(cmplx.Pow(a.z(), b.z()))
}

// call evaluates a function application.
func (e *evaluator) call(n *node) (value, bool) {
	args := make([]value, len(n.args))
	for i, a := range n.args {
		v, ok := e.eval(a)
		if !ok {
			return value{}, false
		}
		args[i] = v
	}
	if len(args) == 0 {
		return value{}, false
	}
	x := args[0]
	z := x.z()
	real1 := imag(z) == 0
	switch n.name {
	case "factorial":
		return e.factorial(x)
	case "binom":
		if len(args) == 2 {
			return e.binom(args[0], args[1])
		}
		return value{}, false
	case "abs":
		if x.exact != nil {
			return exactValue(new(big.Rat).Abs(x.exact)), true
		}
		return floatValue(complex(cmplx.Abs(z), 0)), true
	case "floor", "ceil":
		if x.exact != nil {
			q := new(big.Int).Div(x.exact.Num(), x.exact.Denom()) // floor (Euclidean, denominator > 0)
			if n.name == "ceil" && !x.exact.IsInt() {
				q.Add(q, big.NewInt(1))
			}
			return exactValue(new(big.Rat).SetInt(q)), true
		}
		if !real1 {
			return value{}, false
		}
		if n.name == "floor" {
			return floatValue(complex(math.Floor(real(z)), 0)), true
		}
		return floatValue(complex(math.Ceil(real(z)), 0)), true
	case "sgn":
		if !real1 {
			return value{}, false
		}
		return floatValue(complex(float64(sign(real(z))), 0)), true
	case "gcd", "lcm":
		return e.gcdLcm(n.name, args)
	case "max", "min":
		best := args[0]
		for _, a := range args[1:] {
			if imag(a.z()) != 0 {
				return value{}, false
			}
			if (n.name == "max") == (real(a.z()) > real(best.z())) {
				best = a
			}
		}
		return best, true
	case "sqrt":
		if real1 && real(z) >= 0 {
			return floatValue(complex(math.Sqrt(real(z)), 0)), true
		}
		return floatValue(cmplx.Sqrt(z)), true
	case "exp":
		return floatValue(cmplx.Exp(z)), true
	case "ln", "log":
		if real1 && real(z) > 0 {
			return floatValue(complex(math.Log(real(z)), 0)), true
		}
		return floatValue(cmplx.Log(z)), true
	case "lg":
		return floatValue(cmplx.Log10(z)), true
	}
	if f, ok := trig[n.name]; ok {
		return floatValue(f(z)), true
	}
	if len(n.name) > 1 && n.name[0] == '$' {
		return floatValue(uninterpretedValue(n.name, args)), true
	}
	return value{}, false
}

// trig holds the trigonometric and hyperbolic functions and inverses.
var trig = map[string]func(complex128) complex128{
	"sin": cmplx.Sin, "cos": cmplx.Cos, "tan": cmplx.Tan,
	"sec":    func(z complex128) complex128 { return 1 / cmplx.Cos(z) },
	"csc":    func(z complex128) complex128 { return 1 / cmplx.Sin(z) },
	"cot":    func(z complex128) complex128 { return cmplx.Cos(z) / cmplx.Sin(z) },
	"arcsin": cmplx.Asin, "arccos": cmplx.Acos, "arctan": cmplx.Atan,
	"arcsec": func(z complex128) complex128 { return cmplx.Acos(1 / z) },
	"arccsc": func(z complex128) complex128 { return cmplx.Asin(1 / z) },
	"arccot": func(z complex128) complex128 { return cmplx.Atan(1 / z) },
	"sinh":   cmplx.Sinh, "cosh": cmplx.Cosh, "tanh": cmplx.Tanh,
	"coth": func(z complex128) complex128 { return 1 / cmplx.Tanh(z) },
	"sech": func(z complex128) complex128 { return 1 / cmplx.Cosh(z) },
	"csch": func(z complex128) complex128 { return 1 / cmplx.Sinh(z) },
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// smallInt returns x as an int64 when it is an exact integer in [0, limit].
func smallInt(x value, limit int64) (int64, bool) {
	if x.exact == nil || !x.exact.IsInt() || !x.exact.Num().IsInt64() {
		return 0, false
	}
	n := x.exact.Num().Int64()
	return n, n >= 0 && n <= limit
}

// factorial computes n! exactly for n ≤ maxFactorial, else Γ(x+1) in
// floating point (+Inf beyond 170).
func (e *evaluator) factorial(x value) (value, bool) {
	if n, ok := smallInt(x, maxFactorial); ok && e.w.spend(int(n*n/64)+1) {
		return exactValue(new(big.Rat).SetInt(new(big.Int).MulRange(1, n))), true
	}
	if imag(x.z()) != 0 {
		return value{}, false
	}
	if real(x.z()) > 170 {
		return floatValue(complex(math.Inf(1), 0)), true
	}
	return floatValue(complex(math.Gamma(real(x.z())+1), 0)), true
}

// binom computes C(n, k) exactly for moderate integers, else through
// log-gamma.
func (e *evaluator) binom(n, k value) (value, bool) {
	if nn, ok := smallInt(n, 1<<20); ok {
		if kk, ok := smallInt(k, nn); ok {
			m := min(kk, nn-kk)
			if m <= 2000 && e.w.spend(int(m*m/16)+1) {
				return exactValue(new(big.Rat).SetInt(new(big.Int).Binomial(nn, kk))), true
			}
		}
	}
	if imag(n.z()) != 0 || imag(k.z()) != 0 {
		return value{}, false
	}
	a, b := real(n.z()), real(k.z())
	la, _ := math.Lgamma(a + 1)
	lb, _ := math.Lgamma(b + 1)
	lc, _ := math.Lgamma(a - b + 1)
	return floatValue(complex(math.Exp(la-lb-lc), 0)), true
}

// gcdLcm computes gcd or lcm of exact integers.
func (e *evaluator) gcdLcm(name string, args []value) (value, bool) {
	acc := new(big.Int)
	for i, a := range args {
		if a.exact == nil || !a.exact.IsInt() || a.exact.Num().BitLen() > 4096 {
			return value{}, false
		}
		x := new(big.Int).Abs(a.exact.Num())
		switch {
		case i == 0:
			acc.Set(x)
		case name == "gcd":
			acc.GCD(nil, nil, acc, x)
		default:
			if acc.Sign() == 0 || x.Sign() == 0 {
				acc.SetInt64(0)
				continue
			}
			g := new(big.Int).GCD(nil, nil, acc, x)
			acc.Mul(acc, x).Quo(acc, g)
		}
	}
	return exactValue(new(big.Rat).SetInt(acc)), true
}

// mix is the splitmix64 finaliser, a cheap deterministic hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func hashName(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// symbolValue is the value of the free symbol name at point pt: a
// deterministic pseudo-random number in [0.5, 2.5), negated for the extra
// points (pt ≥ points).
func symbolValue(name string, pt int) float64 {
	v := 0.5 + 2*unit(mix(hashName(name)+uint64(pt)*0x632be59bd9b4e019))
	if pt >= points {
		return -v
	}
	return v
}

// uninterpretedValue evaluates an unknown function f(x, y, …) as a fixed
// smooth pseudo-random function of its arguments determined by its name, so
// f(x) = f(x) but f(x) ≠ f(y) and f(0) ≠ 0.
func uninterpretedValue(name string, args []value) complex128 {
	h := hashName(name)
	sum := complex(0.5+unit(mix(h)), 0)
	for i, a := range args {
		hi := mix(h + uint64(i+1))
		k1, k2 := 0.5+unit(hi), 0.5+unit(mix(hi))
		sum += complex(k1, 0)*a.z() + complex(k2, 0)*cmplx.Sin(a.z()*complex(k1, 0)+1)
	}
	return sum
}
