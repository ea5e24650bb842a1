package rewardserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/terse-dev/terse/reward"
)

// rsOpenRLHFRequest is OpenRLHF's remote reward request (--remote_rm_url,
// reward.remote_url): query = prompt with chat template + response, special
// tokens kept; prompts = the prompt part of each query; labels = the gold
// answer of each sample (--label_key). Recent releases send one sample per
// request, older ones whole shards; each field may also be a bare string.
// Other fields are ignored. (Parsed by the fast path; this type documents
// the body and produces encoding/json's error messages.)
type rsOpenRLHFRequest struct {
	Query   json.RawMessage `json:"query"`
	Prompts json.RawMessage `json:"prompts"`
	Labels  json.RawMessage `json:"labels"`
}

// rsOpenRLHFResponse is the answer OpenRLHF reads: rewards (advantage
// input), scores (used by dynamic filtering: here the 0/1 correctness that
// shaping used) and extra_logs (per-sample numeric lists, logged as means).
type rsOpenRLHFResponse struct {
	Rewards   []float64            `json:"rewards"`
	Scores    []float64            `json:"scores"`
	ExtraLogs map[string][]float64 `json:"extra_logs"`
}

// handleOpenRLHF serves POST /get_reward (and POST /).
//
// Each sample's response is the query minus its prompt prefix; its length is
// counted with the model's tokenizer; it is truncated when it does not end
// with an EOS token text or reaches the rollout limit. For a group-relative
// shape with GroupSize > 1 each sample waits for the other rollouts of its
// prompt (rsAssembler). OpenRLHF has no per-sample mask: a masked rollout
// gets reward MaskedReward (default 0) and extra_logs.masked = 1.
//
// extra_logs: correct (grader verdict), solved (counted as correct by the
// shape: correct and not truncated), tokens, truncated, masked,
// group_complete, prompt_found, length_approx (1 when lengths are
// ⌈chars/4⌉, no tokenizer).
func (s *Server) handleOpenRLHF(w http.ResponseWriter, r *http.Request, body []byte) *rsError {
	members, err := rsObject(body)
	if err != nil {
		return rsStdError(body, &rsOpenRLHFRequest{})
	}
	var qRaw, pRaw, lRaw []byte
	for _, m := range rsPick(members, map[string]*[]byte{"query": &qRaw, "prompts": &pRaw, "labels": &lRaw}) {
		// Ignored, but still JSON: the splitter does not check values.
		if !json.Valid(m.val) {
			return rsBad("field %q: invalid JSON", m.key)
		}
	}
	queries, e := rsStringsOrOne(qRaw, "query")
	if e != nil {
		return e
	}
	prompts, e := rsStringsOrOne(pRaw, "prompts")
	if e != nil {
		return e
	}
	labels, e := rsLabels(lRaw)
	if e != nil {
		return e
	}
	n := len(queries)
	switch {
	case qRaw == nil:
		return rsBad(`field "query": missing, want a list of strings`)
	case lRaw == nil && n > 0:
		return rsBad(`field "labels": missing, want one gold answer per query`)
	case len(labels) != n:
		return rsBad(`field "labels": %d labels for %d queries`, len(labels), n)
	case pRaw != nil && len(prompts) != n:
		return rsBad(`field "prompts": %d prompts for %d queries`, len(prompts), n)
	}
	group := s.opts.GroupSize > 1 && reward.GroupRelative(s.opts.Shape)
	var cost int64 // bytes of the group-assembly budget this request holds
	if group && pRaw == nil && n > 0 {
		return rsBad(`field "prompts": missing; shape %s compares rollouts of one prompt and needs it to group them`, s.opts.Shape)
	}
	if group && n > 0 {
		// Rollouts waiting for their group keep the body and their
		// decoded texts alive: about twice the body, budgeted.
		cost = 2 * int64(len(body))
		if !s.pending.reserve(cost) {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.opts.GroupWait.Seconds()))))
			return &rsError{http.StatusServiceUnavailable, fmt.Sprintf(
				"group assembly memory budget exhausted: %d bytes held by incomplete groups, this request needs %d more, the budget is %d (--max-pending-bytes)",
				s.pending.held(), cost, s.opts.MaxPendingBytes)}
		}
		defer func() { s.pending.release(cost) }() // less what held rollouts keep
	}
	items := make([]*rsItem, n)
	found := make([]bool, n)
	keys := make([]string, n)
	labs := make([]rsLabel, n)
	for i := range items {
		items[i] = rsNewItem()
	}
	prepare := func(i int) *rsError {
		q, err := rsString(queries[i])
		if err != nil {
			return rsBad(`field "query": element %d: invalid JSON string`, i)
		}
		prompt := ""
		if prompts != nil {
			if prompt, err = rsString(prompts[i]); err != nil {
				return rsBad(`field "prompts": element %d: invalid JSON string`, i)
			}
		}
		lab, err := rsParseLabel(labels[i])
		if err != nil {
			return rsBad(`field "labels": element %d: %v`, i, err)
		}
		labs[i] = lab
		items[i].gold = lab.gold
		items[i].targetLen = lab.targetLen
		resp, ok := rsSplitResponse(q, prompt)
		found[i] = ok
		keys[i] = fmt.Sprintf("%s\x00%q\x00%d", prompt, lab.gold, lab.targetLen)
		s.measure(items[i], resp, true, s.opts.RolloutLimit, -1, nil)
		return nil
	}
	if e := s.gradeAll(r.Context(), items, prepare); e != nil {
		return e
	}
	for i := range items {
		if labs[i].targetLen > 0 && !labs[i].eval {
			if _, err := rsTargetShape(s.opts.Shape, labs[i].targetLen); err != nil {
				return rsBad(`field "labels": element %d: %v`, i, err)
			}
		}
	}
	ids := make([]string, n) // a rollout's identity, for idempotent retries
	for i, it := range items {
		switch {
		case labs[i].eval:
			rsScoreAccuracy(it)
		case group:
			q, _ := rsString(queries[i]) // checked by prepare
			ids[i] = keys[i] + "\x00" + q
			if held := s.retries.adopt(ids[i], time.Now()); held != nil {
				items[i] = held // a retry: the rollout is already in its group
				continue
			}
			s.asm.add(keys[i], it)
		default:
			s.scoreAlone(it)
		}
	}
	if err := rsWaitAll(r.Context(), items); err != nil {
		if !group {
			return rsCtxError(err, "scoring")
		}
		// The request ends before its group is scored: keep its rollouts
		// in their group for the client's retry (rsRetries).
		kept := 0
		for i, it := range items {
			select {
			case <-it.done:
			default:
				if ids[i] != "" {
					// The held rollout keeps its share of the charge.
					share := min(cost, (2*int64(len(body))+int64(n)-1)/int64(n))
					cost -= share
					s.retries.hold(ids[i], it, time.Now(), &s.pending, share)
					kept++
				}
			}
		}
		w.Header().Set("Retry-After", "1")
		return &rsError{http.StatusServiceUnavailable, fmt.Sprintf(
			"waiting for the rest of the group: request deadline (--request-timeout %v) before the group was complete; %d rollouts are kept in their group and a retry of the same request picks them up (--group-wait %v)",
			s.opts.RequestTimeout, kept, s.opts.GroupWait)}
	}
	if err := rsFiniteOutcomes(items); err != nil {
		return &rsError{http.StatusInternalServerError, fmt.Sprintf("shape %s %v", s.opts.Shape, err)}
	}

	resp := rsOpenRLHFResponse{
		Rewards:   make([]float64, n),
		Scores:    make([]float64, n),
		ExtraLogs: map[string][]float64{},
	}
	logs := func(k string) []float64 {
		if resp.ExtraLogs[k] == nil {
			resp.ExtraLogs[k] = make([]float64, n)
		}
		return resp.ExtraLogs[k]
	}
	b := func(x bool) float64 {
		if x {
			return 1
		}
		return 0
	}
	for i, it := range items {
		resp.Rewards[i] = it.out.Reward
		if it.out.Masked {
			resp.Rewards[i] = s.opts.MaskedReward
		}
		ro := it.rollout()
		resp.Scores[i] = b(ro.Solved())
		logs("correct")[i] = b(it.verdict.Correct)
		logs("solved")[i] = b(ro.Solved())
		logs("tokens")[i] = float64(it.tokens)
		logs("truncated")[i] = b(it.truncated)
		logs("masked")[i] = b(it.out.Masked)
		logs("group_complete")[i] = b(it.groupComplete)
		logs("prompt_found")[i] = b(found[i])
		logs("length_approx")[i] = b(s.lengthApprox())
		logs("eval")[i] = b(labs[i].eval)
		logs("target_len")[i] = float64(labs[i].targetLen)
	}
	rsWriteJSON(w, http.StatusOK, resp)
	s.metrics.rollouts(items) // after the answer: a failed one counts nothing
	return nil
}

// rsLabels splits OpenRLHF labels: a list whose elements are each a gold
// answer (string, number, list of alternatives, or null), or one bare
// string or number. Elements are decoded by rsGold on the worker pool.
func rsLabels(raw []byte) ([][]byte, *rsError) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '[' {
		if _, ok := rsGold(raw); !ok {
			return nil, rsBad(`field "labels": got %s, want a list of gold answers`, rsKind(raw))
		}
		return [][]byte{raw}, nil
	}
	elems, err := rsArray(raw)
	if err != nil {
		return nil, rsBad(`field "labels": malformed JSON list`)
	}
	for i, e := range elems {
		if e[0] == 't' || e[0] == 'f' {
			return nil, rsBad(`field "labels": element %d: got %s, want a string, number, list of strings, null or a label object`, i, rsKind(e))
		}
	}
	return elems, nil
}

// rsGold parses one gold answer: string, number, list of strings, or null.
func rsGold(raw []byte) ([]string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	switch raw[0] {
	case '"':
		s, err := rsString(raw)
		return []string{s}, err == nil
	case '[':
		var list []string
		return list, json.Unmarshal(raw, &list) == nil
	}
	var num json.Number
	if json.Unmarshal(raw, &num) == nil {
		return []string{num.String()}, true
	}
	return nil, false
}

// rsKind names the JSON type of raw for error messages.
func rsKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '[':
		return "a list"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err == nil {
		return "a number"
	}
	return "invalid JSON"
}
