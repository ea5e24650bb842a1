package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/terse-dev/terse/engine/kernel"
)

// SampleOptions control one sequence's decoding. Sampling order follows HF
// transformers: logits/Temperature → top-k → top-p → renormalise → draw.
type SampleOptions struct {
	// Temperature divides the logits; 0 means greedy (argmax).
	Temperature float32 `json:"temperature"`
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches TopP; 0 or 1 disables it.
	TopP float32 `json:"top_p"`
	// TopK keeps the K most likely tokens; 0 disables it.
	TopK int `json:"top_k"`
	// Seed seeds this sequence's own random stream: the output depends only
	// on Seed, the prompt, the options and the weights, never on the batch.
	Seed uint64 `json:"seed"`
	// MaxNewTokens caps the generated tokens (finish reason "length"); > 0.
	MaxNewTokens int `json:"max_new_tokens"`
	// StopTokens end the sequence (finish reason "stop"); the stop token is
	// kept as the last generated token.
	StopTokens []int32 `json:"stop_tokens,omitempty"`
	// Stop, when non-nil, is called with the generated tokens after each new
	// token; returning true ends the sequence with "stop" (stop strings).
	// Calls for different sequences may run concurrently on other
	// goroutines; the slice is only valid during the call.
	Stop func(tokens []int32) bool `json:"-"`
}

// Finish reasons.
const (
	FinishStop   = "stop"   // a stop token or the Stop callback
	FinishLength = "length" // MaxNewTokens or max_position_embeddings reached
)

// Sequence is one prompt being decoded. Tokens, Logp and Entropy grow by one
// per Decoder.Step. Logp[i] is the log-prob of Tokens[i] under the
// temperature-scaled distribution softmax(logits/Temperature) BEFORE top-k /
// top-p truncation (temperature 1 when greedy), i.e. the behaviour policy's
// log-prob that Forward reproduces with Batch.Temperature = Temperature.
// Entropy[i] is the entropy of that same distribution.
type Sequence struct {
	ID           int // unique within its Decoder, in order of Add
	Prompt       []int32
	Options      SampleOptions
	Tokens       []int32   // generated tokens
	Logp         []float32 // per generated token, see above
	Entropy      []float32 // per generated token
	FinishReason string    // "" while running, then FinishStop or FinishLength

	rng     *rand.Rand
	k, v    [][]float32 // L × (n, KVH·D) key/value cache
	n       int         // positions in the cache
	pending []int32     // tokens to feed at the next step
}

// Decoder is a stepping batch of sequences sharing one model (continuous
// batching): Add and Remove sequences between Steps; each Step feeds every
// active sequence's pending tokens (its prompt, in chunks of at most
// MaxPrefillRows rows per step across the batch, then its last sampled
// token) through the model in one set of GEMMs, and samples one token for
// each sequence whose prompt is fully fed. A Decoder is not safe for
// concurrent use; several Decoders may share a Model.
type Decoder struct {
	// MaxPrefillRows caps the prompt tokens fed in one Step (summed over the
	// batch; decode rows are not counted), bounding scratch memory and step
	// latency. Long prompts are prefilled over several Steps. Default 2048.
	MaxPrefillRows int

	m      *Model
	active []*Sequence
	nextID int

	// Step scratch, grown on demand. R = rows fed this step, S = sequences fed.
	batch        []*Sequence // (S) sequences fed this step
	feed         []int       // (S) tokens fed per sequence
	rowStart     []int       // (S+1) first row of each fed sequence
	ready        []*Sequence // fed sequences that sample this step
	x, ln, y     []float32   // (R,C), (R,C), (R,H·D)
	q, k, v      []float32   // (R,H·D), (R,KVH·D), (R,KVH·D)
	rstd         []float32   // (R·H)
	groups       []int       // row groups of this step, nil when it runs as one group (see rowGroups)
	groupBuf     []int       // reused backing array of groups
	oneGroup     bool        // tests: never split a step into row groups
	gate, up     []float32   // (R,F)
	pos          []int32     // (R)
	maxScores    int         // largest feed·cache of one sequence this step
	workerScores [][]float32 // per worker: (maxScores) attention scores
	last, lnL    []float32   // (S,C) final hidden of each ready sequence's last row
	logits       []float32   // (S,V) logits of the ready sequences
	workerIdx    [][]int32   // per worker: (V) candidate indices
	workerProb   [][]float32 // per worker: (V) probabilities
}

// NewDecoder returns an empty stepping batch on m.
func (m *Model) NewDecoder() *Decoder { return &Decoder{m: m, MaxPrefillRows: 2048} }

// Len returns the number of active sequences.
func (d *Decoder) Len() int { return len(d.active) }

// Active returns the active sequences in batch order (a copy of the list).
func (d *Decoder) Active() []*Sequence { return slices.Clone(d.active) }

// Add queues a prompt; it is prefilled at the next Step.
func (d *Decoder) Add(prompt []int32, opts SampleOptions) (*Sequence, error) {
	c := d.m.Config
	switch {
	case len(prompt) == 0:
		return nil, fmt.Errorf("%w: empty prompt", ErrSample)
	case len(prompt) > c.MaxPositionEmbeddings:
		return nil, fmt.Errorf("%w: prompt of %d tokens exceeds max_position_embeddings %d", ErrSample, len(prompt), c.MaxPositionEmbeddings)
	case opts.MaxNewTokens <= 0:
		return nil, fmt.Errorf("%w: max_new_tokens %d must be positive", ErrSample, opts.MaxNewTokens)
	case opts.Temperature < 0 || math.IsNaN(float64(opts.Temperature)):
		return nil, fmt.Errorf("%w: temperature %g must be ≥ 0", ErrSample, opts.Temperature)
	case opts.TopP < 0 || opts.TopP > 1 || math.IsNaN(float64(opts.TopP)):
		return nil, fmt.Errorf("%w: top_p %g outside [0,1]", ErrSample, opts.TopP)
	case opts.TopK < 0:
		return nil, fmt.Errorf("%w: top_k %d must be ≥ 0", ErrSample, opts.TopK)
	}
	for i, t := range prompt {
		if t < 0 || int(t) >= c.VocabSize {
			return nil, fmt.Errorf("%w: prompt token %d at %d outside [0,%d)", ErrSample, t, i, c.VocabSize)
		}
	}
	s := &Sequence{
		ID: d.nextID, Prompt: slices.Clone(prompt), Options: opts,
		rng:     rand.New(rand.NewPCG(opts.Seed, 0x73616d706c65)), // "sample"
		k:       make([][]float32, c.NumHiddenLayers),
		v:       make([][]float32, c.NumHiddenLayers),
		pending: slices.Clone(prompt),
	}
	// Reserve the cache for the prompt and up to 256 new tokens; longer
	// generations grow it by append.
	KD := c.NumKeyValueHeads * c.HeadDim
	reserve := min(len(prompt)+min(opts.MaxNewTokens, 256), c.MaxPositionEmbeddings) * KD
	for l := range s.k {
		s.k[l] = make([]float32, 0, reserve)
		s.v[l] = make([]float32, 0, reserve)
	}
	d.nextID++
	d.active = append(d.active, s)
	return s, nil
}

// Remove drops a sequence (e.g. a cancelled request) and frees its cache.
func (d *Decoder) Remove(s *Sequence) {
	if i := slices.Index(d.active, s); i >= 0 {
		d.active = slices.Delete(d.active, i, i+1)
	}
	s.k, s.v = nil, nil
}

func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// Step feeds pending tokens (see Decoder), samples one new token for every
// sequence whose prompt is now fully fed (after its first Step, every
// sequence gets exactly one token per Step) and returns the sequences that
// finished in this step, already removed from the batch. It does nothing
// when the batch is empty. A cancelled ctx is checked before any work and
// leaves the batch unchanged; after any other error (a panicking Stop
// callback) the batch is inconsistent and the Decoder should be discarded.
func (d *Decoder) Step(ctx context.Context) ([]*Sequence, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(d.active) == 0 {
		return nil, nil
	}
	m, c := d.m, d.m.Config
	C, F, V, H, KVH, D := c.HiddenSize, c.IntermediateSize, c.VocabSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	HD, KD, eps := H*D, KVH*D, float32(c.RMSNormEps)

	// Choose the rows: every decoding sequence's one token, then prompt
	// chunks up to the prefill budget.
	d.batch, d.feed = d.batch[:0], d.feed[:0]
	budget := max(d.MaxPrefillRows, 1)
	for _, s := range d.active {
		if s.n > 0 && len(s.pending) > 0 { // decoding (or a prompt part-fed)
			f := len(s.pending)
			if f > 1 {
				f = min(f, budget)
				budget -= f
			}
			if f > 0 {
				d.batch, d.feed = append(d.batch, s), append(d.feed, f)
			}
		}
	}
	for _, s := range d.active {
		if s.n == 0 && budget > 0 { // a new prompt
			f := min(len(s.pending), budget)
			budget -= f
			d.batch, d.feed = append(d.batch, s), append(d.feed, f)
		}
	}
	S := len(d.batch)
	d.rowStart = grow(d.rowStart, S+1)
	R := 0
	d.maxScores = 0
	for i, s := range d.batch {
		d.rowStart[i] = R
		R += d.feed[i]
		d.maxScores = max(d.maxScores, max(d.feed[i], H/KVH)*(s.n+d.feed[i]))
	}
	d.rowStart[S] = R
	for w := range runtime.GOMAXPROCS(0) {
		if w == len(d.workerScores) {
			d.workerScores = append(d.workerScores, nil)
		}
		d.workerScores[w] = grow(d.workerScores[w], d.maxScores)
	}
	d.x, d.ln, d.y = grow(d.x, R*C), grow(d.ln, R*C), grow(d.y, R*HD)
	d.q, d.k, d.v = grow(d.q, R*HD), grow(d.k, R*KD), grow(d.v, R*KD)
	d.rstd, d.gate, d.up = grow(d.rstd, R*H), grow(d.gate, R*F), grow(d.up, R*F)
	d.pos = grow(d.pos, R)

	for i, s := range d.batch {
		for j, t := range s.pending[:d.feed[i]] {
			r := d.rowStart[i] + j
			d.pos[r] = int32(s.n + j)
			copy(d.x[r*C:(r+1)*C], m.Params.Embed[int(t)*C:(int(t)+1)*C])
		}
	}
	d.groups = nil
	if !d.oneGroup {
		if d.groups = rowGroups(d.groupBuf, d.rowStart, runtime.GOMAXPROCS(0)); d.groups != nil {
			d.groupBuf = d.groups[:0]
		}
	}
	if g := d.groups; g != nil {
		// One fork for the whole forward: each worker runs every layer on
		// its own sequences' rows, single-threaded (rows never interact
		// outside their sequence's attention).
		var wg sync.WaitGroup
		for w := 1; w < len(g)-1; w++ {
			wg.Go(func() { d.forward(g[w], g[w+1], w, stepKernels{m: m}) })
		}
		d.forward(g[0], g[1], 0, stepKernels{m: m})
		wg.Wait()
	} else {
		d.forward(0, S, 0, stepKernels{m: m, par: true})
	}
	// Sequences whose pending tokens are all fed sample from their last row.
	d.ready = d.ready[:0]
	d.last = grow(d.last, S*C)
	for i, s := range d.batch {
		f := d.feed[i]
		s.n += f
		s.pending = s.pending[f:]
		if len(s.pending) == 0 {
			r := d.rowStart[i+1] - 1
			copy(d.last[len(d.ready)*C:(len(d.ready)+1)*C], d.x[r*C:(r+1)*C])
			d.ready = append(d.ready, s)
		}
	}
	if nr := len(d.ready); nr > 0 {
		d.lnL, d.logits = grow(d.lnL, nr*C), grow(d.logits, nr*V)
		rmsnormForward(d.lnL, d.rstd, d.last, m.Params.Norm, nr, C, eps)
		m.linearForward(d.logits, d.lnL, m.Params.LMHead, nr, C, V, 0)
		if err := d.sampleAll(); err != nil {
			return nil, err
		}
	}

	var finished []*Sequence
	kept := d.active[:0]
	for _, s := range d.active {
		if s.FinishReason == "" {
			kept = append(kept, s)
			continue
		}
		s.k, s.v = nil, nil
		finished = append(finished, s)
	}
	clear(d.active[len(kept):])
	d.active = kept
	return finished, nil
}

// forward runs every layer on the rows of sequences d.batch[s0:s1] (rows
// d.rowStart[s0]..d.rowStart[s1]): their embeddings in d.x become final
// hidden states, and their keys and values join the sequences' caches. w
// picks the worker scratch of a single-threaded call.
func (d *Decoder) forward(s0, s1, w int, k stepKernels) {
	m, c := d.m, d.m.Config
	arch := c.Arch()
	C, F, H, KVH, D := c.HiddenSize, c.IntermediateSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	HD, KD, eps := H*D, KVH*D, float32(c.RMSNormEps)
	r0, r1 := d.rowStart[s0], d.rowStart[s1]
	R := r1 - r0
	x, ln, y := d.x[r0*C:r1*C], d.ln[r0*C:r1*C], d.y[r0*HD:r1*HD]
	q, kk, v := d.q[r0*HD:r1*HD], d.k[r0*KD:r1*KD], d.v[r0*KD:r1*KD]
	gate, up, rstd, pos := d.gate[r0*F:r1*F], d.up[r0*F:r1*F], d.rstd[r0*H:r1*H], d.pos[r0:r1]
	for l, p := range m.Params.Layers {
		k.rmsnorm(ln, rstd, x, p.AttnNorm, R, C, eps)
		k.linear(q, ln, p.Wq, R, C, HD, 0)
		k.linear(kk, ln, p.Wk, R, C, KD, 0)
		k.linear(v, ln, p.Wv, R, C, KD, 0)
		if arch.QKVBias {
			k.bias(q, p.Bq, R, HD)
			k.bias(kk, p.Bk, R, KD)
			k.bias(v, p.Bv, R, KD)
		}
		if arch.QKNorm {
			k.rmsnorm(q, rstd, q, p.QNorm, R*H, D, eps)
			k.rmsnorm(kk, rstd, kk, p.KNorm, R*KVH, D, eps)
		}
		k.rope(q, pos, R, H, D)
		k.rope(kk, pos, R, KVH, D)
		for i, s := range d.batch[s0:s1] {
			a, b := d.rowStart[s0+i], d.rowStart[s0+i+1]
			s.k[l] = append(s.k[l][:s.n*KD], d.k[a*KD:b*KD]...)
			s.v[l] = append(s.v[l][:s.n*KD], d.v[a*KD:b*KD]...)
		}
		d.decodeAttention(l, s0, s1, w, k.par)
		k.linear(x, y, p.Wo, R, HD, C, 1) // x += y·Woᵀ
		k.rmsnorm(ln, rstd, x, p.MLPNorm, R, C, eps)
		k.linear(gate, ln, p.Wgate, R, C, F, 0)
		k.linear(up, ln, p.Wup, R, C, F, 0)
		k.swiglu(gate, gate, up, R*F)
		k.linear(x, gate, p.Wdown, R, F, C, 1) // x += act·Wdownᵀ
	}
}

// rowGroups splits a step's S sequences, whose rows start at rowStart
// (S+1 entries, R = rowStart[S] rows in all), into P contiguous groups of
// about R/P rows each for Step's one-fork forward, returned as sequence
// boundaries g[0]=0 < … < g[P]=S (appended to dst[:0]). It returns nil when
// a split is not worth it (one worker, fewer than P sequences, under
// minGroupRows rows each) or too uneven (a group over 25% above R/P, as
// with one long prompt): the step then runs as one group with each GEMM
// split across goroutines.
func rowGroups(dst, rowStart []int, P int) []int {
	S := len(rowStart) - 1
	R := rowStart[S]
	if P <= 1 || S < P || R < minGroupRows*P {
		return nil
	}
	g := append(dst[:0], 0)
	largest, start := 0, 0
	for i := 1; i < S && len(g) < P; i++ {
		// Cut before sequence i once the group has reached its share.
		if rowStart[i]*P >= R*len(g) {
			largest = max(largest, rowStart[i]-start)
			start = rowStart[i]
			g = append(g, i)
		}
	}
	largest = max(largest, R-start)
	g = append(g, S)
	if len(g) != P+1 || 4*largest > 5*((R+P-1)/P) {
		return nil
	}
	return g
}

// minGroupRows is the fewest rows per worker for which Step forks once per
// step instead of splitting each GEMM.
const minGroupRows = 4

// stepKernels are the kernels of one forward call of a Step: over the whole
// batch (par: GEMMs split across goroutines, loops in parallel) or inside
// one row group's goroutine (everything single-threaded).
type stepKernels struct {
	m   *Model
	par bool
}

func (k stepKernels) linear(out, inp, w []float32, R, IC, OC int, beta float32) {
	if k.par {
		k.m.linearForward(out, inp, w, R, IC, OC, beta)
		return
	}
	k.m.blas1.Sgemm(false, true, R, OC, IC, 1, inp, IC, w, IC, beta, out, OC)
}

func (k stepKernels) bias(out, b []float32, R, OC int) {
	if k.par {
		biasForward(out, b, R, OC)
		return
	}
	biasRows(out, b, 0, R, OC)
}

func (k stepKernels) rmsnorm(out, rstd, inp, w []float32, R, C int, eps float32) {
	if k.par {
		rmsnormForward(out, rstd, inp, w, R, C, eps)
		return
	}
	rmsnormRows(out, rstd, inp, w, 0, R, C, eps)
}

func (k stepKernels) rope(x []float32, pos []int32, R, nh, D int) {
	if k.par {
		ropeForward(x, pos, k.m.ropeCos, k.m.ropeSin, R, nh, D)
		return
	}
	ropeRows(x, pos, k.m.ropeCos, k.m.ropeSin, 0, R, nh, D, 1)
}

func (k stepKernels) swiglu(out, gate, up []float32, n int) {
	if k.par {
		swigluForward(out, nil, gate, up, n)
		return
	}
	swiglu(out, nil, gate, up, 0, n)
}

// decodeAttention computes the rows of y (R,H·D) of sequences
// d.batch[s0:s1] from their caches at layer l, one task per (sequence, KV
// head): in parallel over tasks when par, else on worker w's scratch. For
// each query head, with the sequence's np new rows at positions n0..n0+np−1
// and its cache of n = n0+np keys,
//
//	S = q·Kᵀ/√D (np×n), P = causal softmax (row j sees keys ≤ n0+j), y = P·V.
//
// A prefill (np > 1) costs two single-threaded GEMMs per head instead of a
// quadratic Go loop. When decoding (np = 1) the KV head's G query heads
// are one G×D matrix and kernel.Attend does all three steps in one call
// (small GEMMs there cost more in call overhead than in arithmetic).
func (d *Decoder) decodeAttention(l, s0, s1, w int, par bool) {
	c := d.m.Config
	H, KVH, D := c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	HD, KD, G := H*D, KVH*D, H/KVH
	scale := float32(1 / math.Sqrt(float64(D)))
	tasks := func(w, lo, hi int) {
		for task := lo; task < hi; task++ {
			i, kvh := s0+task/KVH, task%KVH
			s := d.batch[i]
			np, n0, r0 := d.feed[i], s.n, d.rowStart[i]
			n := n0 + np
			ko := kvh * D
			kc, vc := s.k[l][ko:], s.v[l][ko:]
			if np == 1 {
				// Decoding: the G query heads of this KV head are contiguous
				// in q's row, so they form one G×D matrix: one GEMM pair.
				qo := r0*HD + kvh*G*D
				kernel.Attend(d.y[qo:qo+G*D], d.q[qo:qo+G*D], G, D, kc, vc, KD, n, scale, d.workerScores[w])
				continue
			}
			sc := d.workerScores[w][:np*n]
			for h := kvh * G; h < (kvh+1)*G; h++ {
				d.m.blas1.Sgemm(false, true, np, n, D, scale, d.q[r0*HD+h*D:], HD, kc, KD, 0, sc, n)
				for j := 0; j < np; j++ {
					softmaxPrefix(sc[j*n:(j+1)*n], n0+j+1)
				}
				d.m.blas1.Sgemm(false, false, np, D, n, 1, sc, n, vc, KD, 0, d.y[r0*HD+h*D:], HD)
			}
		}
	}
	if n := (s1 - s0) * KVH; par {
		parallelForW(n, 4*G*D*d.maxScores, tasks)
	} else {
		tasks(w, 0, n)
	}
}

// softmaxPrefix turns row[:k] into probabilities and zeroes row[k:].
func softmaxPrefix(row []float32, k int) {
	mx := row[0]
	for _, v := range row[:k] {
		mx = max(mx, v)
	}
	var sum float32
	for j, v := range row[:k] {
		e := kernel.Exp(v - mx)
		row[j] = e
		sum += e
	}
	inv := 1 / sum
	for j := range row[:k] {
		row[j] *= inv
	}
	clear(row[k:])
}

// sampleAll draws one token per ready sequence from d.logits, in parallel
// over sequences, and applies the stop rules. A panic in a Stop callback is
// returned as an error instead of crashing the process.
func (d *Decoder) sampleAll() error {
	S, V := len(d.ready), d.m.Config.VocabSize
	w := min(runtime.GOMAXPROCS(0), S)
	if S*V < minParallelWork {
		w = 1
	}
	for len(d.workerIdx) < w {
		d.workerIdx = append(d.workerIdx, make([]int32, V))
		d.workerProb = append(d.workerProb, make([]float32, V))
	}
	chunk := (S + w - 1) / w
	errs := make([]error, w)
	var wg sync.WaitGroup
	for wi := 0; wi < w; wi++ {
		lo, hi := wi*chunk, min((wi+1)*chunk, S)
		wg.Go(func() {
			i := lo
			defer func() {
				if r := recover(); r != nil {
					errs[wi] = fmt.Errorf("model: sampling sequence %d: panic: %v", d.ready[i].ID, r)
				}
			}()
			for ; i < hi; i++ {
				d.ready[i].sampleNext(d.logits[i*V:(i+1)*V], d.workerIdx[wi], d.workerProb[wi], d.m.Config.MaxPositionEmbeddings)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sampleNext draws the next token from logits z (V), records it with its
// log-prob and entropy, and sets FinishReason when a stop rule fires.
func (s *Sequence) sampleNext(z []float32, idx []int32, prob []float32, maxPos int) {
	o := s.Options
	temp := o.Temperature
	if temp == 0 {
		temp = 1
	}
	// p = softmax(z/temp) in prob; logp/entropy of the untruncated distribution.
	mx := z[0]
	for _, v := range z {
		mx = max(mx, v)
	}
	inv := 1 / temp
	var sum, sumPZ float64
	for j, v := range z {
		a := (v - mx) * inv
		e := float64(kernel.Exp(a))
		prob[j] = float32(e)
		sum += e
		sumPZ += e * float64(a)
	}
	logZ := math.Log(sum)
	ent := float32(logZ - sumPZ/sum)
	for j := range prob {
		prob[j] = float32(float64(prob[j]) / sum)
	}

	var tok int32
	if o.Temperature == 0 {
		for j, v := range z {
			if v > z[tok] {
				tok = int32(j)
			}
		}
	} else {
		tok = drawToken(prob, idx, o.TopK, o.TopP, s.rng.Float64())
	}
	s.Tokens = append(s.Tokens, tok)
	s.Logp = append(s.Logp, float32(float64((z[tok]-mx)*inv)-logZ))
	s.Entropy = append(s.Entropy, ent)
	s.pending = append(s.pending[:0], tok)

	switch {
	case slices.Contains(o.StopTokens, tok):
		s.FinishReason = FinishStop
	case o.Stop != nil && o.Stop(s.Tokens):
		s.FinishReason = FinishStop
	case len(s.Tokens) >= o.MaxNewTokens, s.n >= maxPos:
		s.FinishReason = FinishLength
	}
}

// drawToken samples from prob (V, sums to 1) restricted by top-k and top-p,
// using the uniform draw u ∈ [0,1). idx is scratch of V ints. Candidates are
// ordered by descending probability, ties by token id, so the draw is a
// deterministic function of (prob, u).
func drawToken(prob []float32, idx []int32, topK int, topP float32, u float64) int32 {
	V := len(prob)
	if (topK == 0 || topK >= V) && (topP == 0 || topP >= 1) {
		// No truncation: inverse CDF in token order.
		target := u
		var cum float64
		for j, p := range prob {
			cum += float64(p)
			if cum > target {
				return int32(j)
			}
		}
		for j := V - 1; j >= 0; j-- { // rounding left u beyond the total
			if prob[j] > 0 {
				return int32(j)
			}
		}
		return 0
	}
	less := func(a, b int32) int {
		switch {
		case prob[a] > prob[b]:
			return -1
		case prob[a] < prob[b]:
			return 1
		default:
			return int(a - b)
		}
	}
	var cand []int32
	total := 1.0 // probability mass of the candidates
	switch {
	case topK > 0 && topK < V:
		for j := range idx {
			idx[j] = int32(j)
		}
		quickselect(idx, topK, less)
		cand = idx[:topK]
		total = 0
		for _, j := range cand {
			total += float64(prob[j])
		}
	default:
		// Top-p alone: the tokens with p ≥ τ are a top prefix of the sorted
		// order, so once their mass reaches top_p the nucleus lies inside
		// them and only they need sorting (V may be 150k).
		for tau := float32(1e-4); ; tau /= 64 {
			if tau < 1e-30 {
				tau = 0
			}
			cand = idx[:0]
			var mass float64
			for j, p := range prob {
				if p >= tau {
					cand = append(cand, int32(j))
					mass += float64(p)
				}
			}
			if mass >= float64(topP)+1e-6 || tau == 0 {
				break
			}
		}
	}
	slices.SortFunc(cand, less)
	if topP > 0 && topP < 1 {
		// Keep the smallest prefix whose (renormalised) mass reaches top_p,
		// as HF's TopPLogitsWarper does after top-k.
		var cum float64
		for i, j := range cand {
			cum += float64(prob[j])
			if cum >= float64(topP)*total {
				cand = cand[:i+1]
				break
			}
		}
	}
	var kept float64
	for _, j := range cand {
		kept += float64(prob[j])
	}
	target := u * kept
	var cum float64
	for _, j := range cand {
		cum += float64(prob[j])
		if cum > target {
			return j
		}
	}
	return cand[len(cand)-1]
}

// quickselect reorders a so that its first k elements are the k smallest
// under cmp (in arbitrary order).
func quickselect(a []int32, k int, cmp func(a, b int32) int) {
	lo, hi := 0, len(a)-1
	for lo < hi {
		// Median of three as pivot.
		mid := lo + (hi-lo)/2
		if cmp(a[mid], a[lo]) < 0 {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if cmp(a[hi], a[lo]) < 0 {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if cmp(a[hi], a[mid]) < 0 {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid]
		i, j := lo, hi
		for i <= j {
			for cmp(a[i], pivot) < 0 {
				i++
			}
			for cmp(a[j], pivot) > 0 {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// Request is one prompt with its own options for GenerateEach.
type Request struct {
	Prompt  []int32
	Options SampleOptions
}

// Generate decodes all prompts as one batch; prompt i uses opts with Seed
// opts.Seed+i. It returns the sequences in prompt order. On cancellation it
// returns what was generated so far (unfinished sequences have an empty
// FinishReason) together with ctx's error.
func (m *Model) Generate(ctx context.Context, prompts [][]int32, opts SampleOptions) ([]*Sequence, error) {
	reqs := make([]Request, len(prompts))
	for i, p := range prompts {
		o := opts
		o.Seed = opts.Seed + uint64(i)
		reqs[i] = Request{Prompt: p, Options: o}
	}
	return m.GenerateEach(ctx, reqs)
}

// GenerateEach decodes every request in one stepping batch and returns the
// sequences in request order.
func (m *Model) GenerateEach(ctx context.Context, reqs []Request) ([]*Sequence, error) {
	d := m.NewDecoder()
	out := make([]*Sequence, len(reqs))
	for i, r := range reqs {
		s, err := d.Add(r.Prompt, r.Options)
		if err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		out[i] = s
	}
	for d.Len() > 0 {
		if _, err := d.Step(ctx); err != nil {
			return out, err
		}
	}
	return out, nil
}
