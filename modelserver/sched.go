package modelserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/terse-dev/terse/engine/model"
)

// Scheduler errors, mapped to HTTP statuses by the handlers.
var (
	// errOAIQueueFull: MaxQueue requests are already waiting (429).
	errOAIQueueFull = errors.New("modelserver: queue full")
	// errOAIStopped: the scheduler stopped (shutdown) before the job finished (503).
	errOAIStopped = errors.New("modelserver: server shutting down")
)

// oaiSeqSpec is one sequence to decode.
type oaiSeqSpec struct {
	prompt []int32
	opts   model.SampleOptions
}

// oaiJob is one request's sequences (its n choices × prompts). They join the
// batch together and the job completes when all have finished.
type oaiJob struct {
	ctx   context.Context // the request's; cancellation removes the job
	specs []oaiSeqSpec
	// out[i] is specs[i]'s finished sequence. Written by the scheduler only;
	// the handler reads it after receiving nil from done.
	out       []*model.Sequence
	remaining int
	done      chan error // buffered 1: nil when every sequence finished
	stream    *oaiStream // non-nil for stream: true; updated after each step
}

// oaiStream carries a streaming job's tokens from the scheduler to its
// handler: after each step the scheduler appends the new tokens and pokes
// notify.
type oaiStream struct {
	mu     sync.Mutex
	toks   [][]int32 // per sequence, generated so far (guarded by mu)
	notify chan struct{}
}

func oaiNewStream(n int) *oaiStream {
	return &oaiStream{toks: make([][]int32, n), notify: make(chan struct{}, 1)}
}

// update copies the sequences' new tokens (scheduler goroutine).
func (st *oaiStream) update(out []*model.Sequence) {
	changed := false
	st.mu.Lock()
	for i, seq := range out {
		if seq != nil && len(seq.Tokens) > len(st.toks[i]) {
			st.toks[i] = append(st.toks[i], seq.Tokens[len(st.toks[i]):]...)
			changed = true
		}
	}
	st.mu.Unlock()
	if changed {
		select {
		case st.notify <- struct{}{}:
		default:
		}
	}
}

// snapshot returns the tokens so far; the slices are append-only, so the
// handler may read them after the lock is released.
func (st *oaiStream) snapshot() [][]int32 {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([][]int32, len(st.toks))
	for i, t := range st.toks {
		out[i] = t[:len(t):len(t)]
	}
	return out
}

// oaiScheduler owns the model: run is the only goroutine that touches it.
// Handlers submit jobs through a bounded channel (the queue); between decode
// steps run admits queued jobs while the batch has room (continuous
// batching), drops cancelled ones and delivers finished ones.
type oaiScheduler struct {
	m        *model.Model
	maxBatch int
	submitCh chan *oaiJob

	// queued counts the jobs submitted but not yet admitted or dropped
	// (the channel and the job run holds back while the batch is full).
	queued atomic.Int64
	// Gauges for tests and logs: sequences in the batch after the last
	// admission, the most ever, and decode steps run.
	active, peak, steps atomic.Int64
}

func oaiNewScheduler(m *model.Model, maxBatch, maxQueue int) *oaiScheduler {
	return &oaiScheduler{m: m, maxBatch: maxBatch, submitCh: make(chan *oaiJob, maxQueue)}
}

// submit queues job without blocking; errOAIQueueFull when the queue is full.
func (s *oaiScheduler) submit(job *oaiJob) error {
	job.out = make([]*model.Sequence, len(job.specs))
	job.remaining = len(job.specs)
	job.done = make(chan error, 1)
	if s.queued.Add(1) > int64(cap(s.submitCh)) {
		s.queued.Add(-1)
		return errOAIQueueFull
	}
	s.submitCh <- job // never blocks: queued ≤ cap counts the channel too
	return nil
}

// oaiSlot locates a decoding sequence's job.
type oaiSlot struct {
	job *oaiJob
	i   int
}

// run decodes until ctx is cancelled, then fails every job it holds or that
// is still queued with errOAIStopped.
func (s *oaiScheduler) run(ctx context.Context, log *slog.Logger) {
	d := s.m.NewDecoder()
	owner := map[*model.Sequence]oaiSlot{}
	var running []*oaiJob // jobs with sequences in d
	var head *oaiJob      // received but waiting for room in the batch

	finish := func(j *oaiJob, err error) {
		if err != nil {
			for _, seq := range j.out {
				if seq != nil {
					if _, ok := owner[seq]; ok {
						d.Remove(seq)
						delete(owner, seq)
					}
				}
			}
		}
		j.done <- err
	}
	stopAll := func() {
		for _, j := range running {
			finish(j, errOAIStopped)
		}
		if head != nil {
			s.queued.Add(-1)
			finish(head, errOAIStopped)
		}
		for {
			select {
			case j := <-s.submitCh:
				s.queued.Add(-1)
				finish(j, errOAIStopped)
			default:
				return
			}
		}
	}
	// admit adds j's sequences to the batch; on an engine error none stay.
	admit := func(j *oaiJob) {
		for i, sp := range j.specs {
			seq, err := d.Add(sp.prompt, sp.opts)
			if err != nil {
				finish(j, fmt.Errorf("sequence %d: %w", i, err))
				return
			}
			j.out[i] = seq
			owner[seq] = oaiSlot{j, i}
		}
		running = append(running, j)
	}

	for {
		s.active.Store(int64(d.Len()))
		if d.Len() == 0 && head == nil {
			select {
			case j := <-s.submitCh:
				head = j
			case <-ctx.Done():
				stopAll()
				return
			}
		}
		if ctx.Err() != nil {
			stopAll()
			return
		}
		// Drop cancelled jobs.
		kept := running[:0]
		for _, j := range running {
			if err := j.ctx.Err(); err != nil {
				finish(j, err)
				continue
			}
			kept = append(kept, j)
		}
		clear(running[len(kept):])
		running = kept
		// Admit queued jobs, in order, while they fit.
		for {
			if head == nil {
				select {
				case head = <-s.submitCh:
				default:
				}
				if head == nil {
					break
				}
			}
			if err := head.ctx.Err(); err != nil {
				s.queued.Add(-1)
				finish(head, err)
				head = nil
				continue
			}
			if len(head.specs) > s.maxBatch { // handlers prevent this
				s.queued.Add(-1)
				finish(head, fmt.Errorf("%d sequences exceed the batch limit %d", len(head.specs), s.maxBatch))
				head = nil
				continue
			}
			if d.Len()+len(head.specs) > s.maxBatch {
				break
			}
			s.queued.Add(-1)
			admit(head)
			head = nil
		}
		s.active.Store(int64(d.Len()))
		if int64(d.Len()) > s.peak.Load() {
			s.peak.Store(int64(d.Len()))
		}
		if d.Len() == 0 {
			continue
		}
		finished, err := s.step(ctx, d)
		s.steps.Add(1)
		if err != nil {
			if ctx.Err() != nil {
				stopAll()
				return
			}
			// A failed step leaves the batch in an unknown state: fail
			// every running job and start a fresh decoder.
			log.Error("openai scheduler: decode step failed", "err", err, "sequences", d.Len())
			for _, j := range running {
				finish(j, fmt.Errorf("decode step: %w", err))
			}
			running = running[:0]
			clear(owner)
			d = s.m.NewDecoder()
			continue
		}
		for _, j := range running {
			if j.stream != nil {
				j.stream.update(j.out)
			}
		}
		for _, seq := range finished {
			sl, ok := owner[seq]
			if !ok {
				continue
			}
			delete(owner, seq)
			sl.job.remaining--
			if sl.job.remaining == 0 {
				running = oaiDelete(running, sl.job)
				finish(sl.job, nil)
			}
		}
	}
}

// step runs one decode step, turning a panic into an error so that a bug
// fails the requests in the batch rather than the process.
func (s *oaiScheduler) step(ctx context.Context, d *model.Decoder) (fin []*model.Sequence, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return d.Step(ctx)
}

func oaiDelete(jobs []*oaiJob, j *oaiJob) []*oaiJob {
	for i, x := range jobs {
		if x == j {
			copy(jobs[i:], jobs[i+1:])
			jobs[len(jobs)-1] = nil
			return jobs[:len(jobs)-1]
		}
	}
	return jobs
}
