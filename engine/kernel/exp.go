package kernel

import "math"

// Exp returns e^x in float32 with a polynomial, within 3e-7 relative of
// math.Exp and small enough to inline (math.Exp is float64 and dominated the
// SwiGLU and softmax loops). x is clamped to [−87.3, 88.3] (results below
// 1e-38 read as ≈1e-38, far beyond the tolerance of a softmax or sigmoid);
// NaN stays NaN. x = k·ln2 + r with |r| ≤ ln2/2; e^r by a degree-6
// polynomial, 2^k by building the float's exponent bits. The C kernels
// compute exactly these operations.
func Exp(x float32) float32 {
	const (
		ln2Hi = 0.693359375
		ln2Lo = -2.12194440e-4
		log2e = 1.44269504088896341
		round = 12582912 // 1.5·2²³: adding and subtracting it rounds to an integer
	)
	if x > 88.3 {
		x = 88.3
	}
	if x < -87.3 {
		x = -87.3
	}
	k := (x*log2e + round) - round
	r := x - k*ln2Hi - k*ln2Lo
	p := ((((((1.0/720)*r+1.0/120)*r+1.0/24)*r+1.0/6)*r+0.5)*r+1)*r + 1
	return p * math.Float32frombits(uint32(int32(k)+127)<<23)
}
