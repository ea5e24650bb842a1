package reward

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// param describes one parameter of a shape spec.
type param struct {
	name  string
	def   float64
	isInt bool
	help  string
}

// shapeInfo is one row of the shape table: a name Parse accepts, its
// parameters, and a constructor from validated parameter values.
type shapeInfo struct {
	name   string
	label  string // the paper's or the source's label
	params []param
	build  func(p map[string]float64) (Shape, error)
}

var (
	pTarget = param{"target", 4096, true, "target length L_T in tokens"}
	pAlpha4 = param{"alpha", 0.4, false, "α (paper: 0.4)"}
)

// shapes is the table Parse reads, in the order Names lists. Immutable.
var shapes = []shapeInfo{
	{"vanilla", "Vanilla, PAPER.md §4.1", nil,
		func(map[string]float64) (Shape, error) { return Vanilla{}, nil }},
	{"truncation", "Truncation, PAPER.md §4.2 (recommended)", []param{pTarget},
		func(p map[string]float64) (Shape, error) { return Truncation{TargetLen: int(p["target"])}, nil }},
	{"truncation-I", "−I, PAPER.md §4.6", []param{pTarget},
		func(p map[string]float64) (Shape, error) { return MaskIncorrect{TargetLen: int(p["target"])}, nil }},
	{"truncation-LC", "−L&C, PAPER.md §4.6", []param{pTarget},
		func(p map[string]float64) (Shape, error) { return MaskLongCorrect{TargetLen: int(p["target"])}, nil }},
	{"truncation-LC-SI", "−L&C−S&I, PAPER.md §4.6", []param{pTarget},
		func(p map[string]float64) (Shape, error) {
			return MaskLongCorrectShortIncorrect{TargetLen: int(p["target"])}, nil
		}},
	{"truncation-LC-LI", "−L&C−L&I, PAPER.md §4.6", []param{pTarget},
		func(p map[string]float64) (Shape, error) {
			return MaskLongCorrectLongIncorrect{TargetLen: int(p["target"])}, nil
		}},
	{"kimi", "Kimi-1.5, PAPER.md §4.3", []param{pAlpha4},
		func(p map[string]float64) (Shape, error) { return Kimi{Alpha: p["alpha"]}, nil }},
	{"laser", "Laser, PAPER.md §4.4", []param{pTarget, pAlpha4},
		func(p map[string]float64) (Shape, error) {
			return Laser{TargetLen: int(p["target"]), Alpha: p["alpha"]}, nil
		}},
	{"laser-d", "Laser-D, PAPER.md §4.5 (LASER's LASER-DE)", []param{pTarget, pAlpha4},
		func(p map[string]float64) (Shape, error) {
			return LaserD{TargetLen: int(p["target"]), Alpha: p["alpha"]}, nil
		}},
	{"adaptive", "adaptive L_T, PAPER.md §4.7", []param{
		{"target", 4096, true, "initial target length L_T in tokens"},
		{"p", 0.9, false, "percentile of correct lengths, in (0, 1]"},
		{"window", 1, true, "number of recent steps the percentile covers"},
	}, func(p map[string]float64) (Shape, error) {
		if p["p"] <= 0 || p["p"] > 1 {
			return nil, fmt.Errorf("p = %g, want in (0, 1]", p["p"])
		}
		return NewAdaptiveTarget(int(p["target"]), p["p"], int(p["window"])), nil
	}},
	{"dapo-overlong", "DAPO soft overlong punishment, 2503.14476", []param{
		{"max", 20480, true, "L_max in tokens"},
		{"cache", 4096, true, "soft-penalty interval L_cache in tokens"},
		{"wrong", -1, false, "correctness reward of a wrong answer (DAPO: -1; 0 for 0/1)"},
	}, func(p map[string]float64) (Shape, error) {
		if p["cache"] > p["max"] {
			return nil, fmt.Errorf("cache = %g exceeds max = %g", p["cache"], p["max"])
		}
		return DAPOOverlong{MaxLen: int(p["max"]), CacheLen: int(p["cache"]), Wrong: p["wrong"]}, nil
	}},
	{"l1-exact", "L1 (LCPO) exact, 2503.04697", []param{pTarget,
		{"alpha", 0.0003, false, "penalty per token of |n_gold − L|"},
	}, func(p map[string]float64) (Shape, error) {
		return L1Exact{TargetLen: int(p["target"]), Alpha: p["alpha"]}, nil
	}},
	{"l1-max", "L1 (LCPO) max, 2503.04697", []param{pTarget,
		{"alpha", 0.0003, false, "slope per token"},
		{"delta", 0.5, false, "reward of a correct answer of exactly target tokens"},
	}, func(p map[string]float64) (Shape, error) {
		return L1Max{TargetLen: int(p["target"]), Alpha: p["alpha"], Delta: p["delta"]}, nil
	}},
	{"cosine", "cosine length-scaled, 2502.03373", []param{
		{"max", 16384, true, "L_max in tokens"},
		{"c0", 2, false, "reward of a correct answer of length 0"},
		{"cl", 1, false, "reward of a correct answer of length L_max"},
		{"w0", -10, false, "reward of a wrong answer of length 0"},
		{"wl", 0, false, "reward of a wrong answer of length L_max"},
		{"exceed", -10, false, "reward of a truncated or over-long rollout"},
	}, func(p map[string]float64) (Shape, error) {
		return Cosine{MaxLen: int(p["max"]), Correct0: p["c0"], CorrectL: p["cl"],
			Wrong0: p["w0"], WrongL: p["wl"], Exceed: p["exceed"]}, nil
	}},
	{"arora-zanette", "group-normalised penalty, 2502.04463", []param{
		{"alpha", 0.1, false, "weight of the length penalty, in [0, 1]"},
	}, func(p map[string]float64) (Shape, error) {
		if p["alpha"] > 1 {
			return nil, fmt.Errorf("alpha = %g, want in [0, 1]", p["alpha"])
		}
		return AroraZanette{Alpha: p["alpha"]}, nil
	}},
	{"shorterbetter", "ShorterBetter, 2504.21370", []param{
		{"alpha", 2, false, "correctness reward"},
		{"beta", 0.001, false, "penalty per token of distance to the shortest correct length"},
	}, func(p map[string]float64) (Shape, error) {
		return ShorterBetter{Alpha: p["alpha"], Beta: p["beta"]}, nil
	}},
	{"alp", "Adaptive Length Penalty, 2506.05256", []param{
		{"beta", 1, false, "global penalty weight β"},
		{"norm", 16384, true, "normalising length N in tokens"},
	}, func(p map[string]float64) (Shape, error) {
		return ALP{Beta: p["beta"], NormLen: int(p["norm"])}, nil
	}},
}

// Names returns the shape names Parse accepts, in table order.
func Names() []string {
	out := make([]string, len(shapes))
	for i, s := range shapes {
		out[i] = s.name
	}
	return out
}

// Help returns one line per shape: its spec with default parameters, then
// its label and each parameter's meaning. For --help texts.
func Help() string {
	var b strings.Builder
	for _, s := range shapes {
		kv := make([]string, len(s.params))
		for i, p := range s.params {
			kv[i] = p.name + "=" + strconv.FormatFloat(p.def, 'g', -1, 64)
		}
		spec := s.name
		if len(kv) > 0 {
			spec += ":" + strings.Join(kv, ",")
		}
		fmt.Fprintf(&b, "  %-50s %s\n", spec, s.label)
	}
	return b.String()
}

// Parse builds a Shape from a spec "name" or "name:key=value,key=value".
// Names match case-insensitively; parameters left out take their defaults
// (Help lists them). Integer parameters (lengths, window) must be whole
// numbers; every length must be > 0 and every weight finite and ≥ 0 unless
// its doc says otherwise. An unknown name or parameter is an error that
// lists the valid ones.
func Parse(spec string) (Shape, error) {
	name, rest, hasParams := strings.Cut(strings.TrimSpace(spec), ":")
	name = strings.TrimSpace(name)
	i := slices.IndexFunc(shapes, func(s shapeInfo) bool { return strings.EqualFold(s.name, name) })
	if i < 0 {
		return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownShape, name, strings.Join(Names(), ", "))
	}
	info := shapes[i]
	vals := make(map[string]float64, len(info.params))
	for _, p := range info.params {
		vals[p.name] = p.def
	}
	valid := func() string {
		if len(info.params) == 0 {
			return "none"
		}
		ns := make([]string, len(info.params))
		for i, p := range info.params {
			ns[i] = p.name
		}
		return strings.Join(ns, ", ")
	}
	if hasParams && strings.TrimSpace(rest) != "" {
		seen := map[string]bool{}
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" || v == "" {
				return nil, fmt.Errorf("reward: shape %s: parameter %q: want key=value", info.name, kv)
			}
			j := slices.IndexFunc(info.params, func(p param) bool { return p.name == k })
			if j < 0 {
				return nil, fmt.Errorf("reward: shape %s: unknown parameter %q (valid: %s)", info.name, k, valid())
			}
			if seen[k] {
				return nil, fmt.Errorf("reward: shape %s: parameter %q given twice", info.name, k)
			}
			seen[k] = true
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("reward: shape %s: parameter %s=%q: want a finite number", info.name, k, v)
			}
			vals[k] = x
		}
	}
	for _, p := range info.params {
		x := vals[p.name]
		switch {
		case p.isInt && (x != math.Trunc(x) || x <= 0 || x > math.MaxInt32):
			return nil, fmt.Errorf("reward: shape %s: %s = %g, want a whole number > 0", info.name, p.name, x)
		case !p.isInt && x < 0 && !signed(info.name, p.name):
			return nil, fmt.Errorf("reward: shape %s: %s = %g, want ≥ 0", info.name, p.name, x)
		}
	}
	s, err := info.build(vals)
	if err != nil {
		return nil, fmt.Errorf("reward: shape %s: %w", info.name, err)
	}
	return s, nil
}

// signed reports parameters that may be negative: reward levels, as opposed
// to weights.
func signed(shape, name string) bool {
	switch shape {
	case "dapo-overlong":
		return name == "wrong"
	case "cosine":
		return name != "max"
	case "l1-max":
		return name == "delta"
	}
	return false
}

// MustParse is Parse for specs known to be valid (tests, examples); it panics
// on error.
func MustParse(spec string) Shape {
	s, err := Parse(spec)
	if err != nil {
		panic(err)
	}
	return s
}
