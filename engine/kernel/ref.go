package kernel

// Lanes is the number of partial sums (and maxima) the reductions keep:
// element i goes to lane i mod Lanes within each full block of Lanes, the
// lanes are combined pairwise (lane t += lane t+w for w = 8, 4, 2, 1), and
// a tail shorter than Lanes is added one by one afterwards. Go and C both
// follow this order, so they round identically.
const Lanes = 16

// swigluRef: out[i] = silu(gate[i])·up[i] = gate[i]·σ(gate[i])·up[i]; sig, if
// non-nil, keeps σ(gate[i]).
func swigluRef(out, sig, gate, up []float32) {
	for i, g := range gate {
		s := 1 / (1 + Exp(-g))
		if sig != nil {
			sig[i] = s
		}
		out[i] = g * s * up[i]
	}
}

// dotRef is Σ a[i]·b[i] over len(a) in the lane order of Lanes.
func dotRef(a, b []float32) float32 {
	var acc [Lanes]float32
	n := len(a) / Lanes * Lanes
	for i := 0; i < n; i += Lanes {
		for t := range acc {
			acc[t] += a[i+t] * b[i+t]
		}
	}
	s := foldSum(&acc)
	for i := n; i < len(a); i++ {
		s += a[i] * b[i]
	}
	return s
}

// foldSum adds the lanes pairwise: 16 → 8 → 4 → 2 → 1.
func foldSum(acc *[Lanes]float32) float32 {
	for w := Lanes / 2; w >= 1; w /= 2 {
		for t := 0; t < w; t++ {
			acc[t] += acc[t+w]
		}
	}
	return acc[0]
}

// softmaxRef turns x into probabilities in place: max in lanes, then
// e = Exp(x − max) summed in lanes, then x = e·(1/sum).
func softmaxRef(x []float32) {
	n := len(x) / Lanes * Lanes
	var m [Lanes]float32
	for t := range m {
		m[t] = x[0]
	}
	for i := 0; i < n; i += Lanes {
		for t := range m {
			if x[i+t] > m[t] {
				m[t] = x[i+t]
			}
		}
	}
	for w := Lanes / 2; w >= 1; w /= 2 {
		for t := 0; t < w; t++ {
			if m[t+w] > m[t] {
				m[t] = m[t+w]
			}
		}
	}
	mx := m[0]
	for _, v := range x[n:] {
		if v > mx {
			mx = v
		}
	}
	var acc [Lanes]float32
	for i := 0; i < n; i += Lanes {
		for t := range acc {
			e := Exp(x[i+t] - mx)
			x[i+t] = e
			acc[t] += e
		}
	}
	sum := foldSum(&acc)
	for i := n; i < len(x); i++ {
		e := Exp(x[i] - mx)
		x[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range x {
		x[i] *= inv
	}
}

// attendRef is Attend's reference; see Attend for the arguments.
func attendRef(y, q []float32, G, D int, k, v []float32, ld, n int, scale float32, scores []float32) {
	sc := scores[:n]
	for g := 0; g < G; g++ {
		qg, yg := q[g*D:(g+1)*D], y[g*D:(g+1)*D]
		for j := range sc {
			sc[j] = dotRef(qg, k[j*ld:j*ld+D]) * scale
		}
		softmaxRef(sc)
		clear(yg)
		for j, p := range sc {
			vj := v[j*ld : j*ld+D]
			for d := range yg {
				yg[d] += p * vj[d]
			}
		}
	}
}
