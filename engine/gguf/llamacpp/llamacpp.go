//go:build cgo

package llamacpp

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Mirrors of llama.h's parameter structs for llama.cpp release v0.5.0 (as
// shipped by npm @node-llama-cpp/linux-x64@3.22.1). Only the fields terse
// sets are named; the rest travel as they came from the *_default_params
// functions. checkLayout verifies the named fields against known defaults.
struct terse_model_params { // struct llama_model_params, 80 bytes
	void *devices, *tensor_buft_overrides;
	int32_t n_gpu_layers, split_mode, load_mode, lazy_mode, main_gpu, pad0;
	void *tensor_split, *progress_callback, *progress_callback_user_data, *kv_overrides;
	uint8_t vocab_only, check_tensors, use_extra_bufts, no_host, no_alloc, load_mtp, pad1[2];
};
struct terse_context_params { // struct llama_context_params, 160 bytes
	uint32_t n_ctx, n_batch, n_ubatch, n_seq_max, n_rs_seq, n_outputs_max, n_outputs_max_per_seq;
	int32_t n_threads, n_threads_batch, ctx_type, rope_scaling_type, pooling_type, attention_type, flash_attn_type;
	float rope_freq_base, rope_freq_scale, yarn_ext_factor, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow;
	uint32_t yarn_orig_ctx;
	float defrag_thold;
	void *cb_eval, *cb_eval_user_data;
	int32_t type_k, type_v;
	void *abort_callback, *abort_callback_data;
	uint8_t embeddings, offload_kqv, no_perf, op_offload, swa_full, kv_unified, pad[2];
	void *samplers;
	size_t n_samplers;
	void *ctx_other;
};
struct terse_batch { // struct llama_batch, 56 bytes
	int32_t n_tokens;
	int32_t *token;
	float *embd;
	int32_t *pos;
	int32_t *n_seq_id;
	int32_t **seq_id;
	int8_t *logits;
};
_Static_assert(sizeof(struct terse_model_params) == 80, "llama_model_params size");
_Static_assert(sizeof(struct terse_context_params) == 160, "llama_context_params size");
_Static_assert(sizeof(struct terse_batch) == 56, "llama_batch size");

static struct {
	void (*backend_init)(void);
	void (*load_all_from_path)(const char *);
	struct terse_model_params (*model_default_params)(void);
	void *(*model_load_from_file)(const char *, struct terse_model_params);
	void (*model_free)(void *);
	void *(*model_get_vocab)(const void *);
	int32_t (*vocab_n_tokens)(const void *);
	struct terse_context_params (*context_default_params)(void);
	void *(*init_from_model)(void *, struct terse_context_params);
	void (*free)(void *);
	int32_t (*decode)(void *, struct terse_batch);
	float *(*get_logits_ith)(void *, int32_t);
	void (*log_set)(void (*)(int, const char *, void *), void *);
	int32_t (*tokenize)(const void *, const char *, int32_t, int32_t *, int32_t, uint8_t, uint8_t);
} terse_llama;

static void terse_quiet_log(int level, const char *text, void *ud) {}

// terse_llama_open resolves every symbol; it returns NULL on success or the
// name of the first missing symbol (or "dlopen").
static const char *terse_llama_open(const char *path) {
	void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h) return "dlopen";
#define SYM(field, name) if (!(*(void **)&terse_llama.field = dlsym(h, name))) return name;
	SYM(backend_init, "llama_backend_init")
	SYM(load_all_from_path, "ggml_backend_load_all_from_path")
	SYM(model_default_params, "llama_model_default_params")
	SYM(model_load_from_file, "llama_model_load_from_file")
	SYM(model_free, "llama_model_free")
	SYM(model_get_vocab, "llama_model_get_vocab")
	SYM(vocab_n_tokens, "llama_vocab_n_tokens")
	SYM(context_default_params, "llama_context_default_params")
	SYM(init_from_model, "llama_init_from_model")
	SYM(free, "llama_free")
	SYM(decode, "llama_decode")
	SYM(get_logits_ith, "llama_get_logits_ith")
	SYM(log_set, "llama_log_set")
	SYM(tokenize, "llama_tokenize")
#undef SYM
	return NULL;
}

static void terse_llama_init(const char *dir, int quiet) {
	if (quiet) terse_llama.log_set(terse_quiet_log, NULL);
	terse_llama.load_all_from_path(dir);
	terse_llama.backend_init();
}

static struct terse_model_params terse_model_defaults(void) { return terse_llama.model_default_params(); }
static struct terse_context_params terse_context_defaults(void) { return terse_llama.context_default_params(); }

static void *terse_load_model(const char *path) {
	struct terse_model_params p = terse_llama.model_default_params();
	p.n_gpu_layers = 0;
	return terse_llama.model_load_from_file(path, p);
}

// terse_tokenize tokenizes text with the model's vocabulary (no BOS/EOS
// added; special tokens parsed when parse_special). It returns the token
// count, or minus the needed size when max is too small.
static int32_t terse_tokenize(void *m, const char *text, int32_t len, int32_t *out, int32_t max, int parse_special) {
	return terse_llama.tokenize(terse_llama.model_get_vocab(m), text, len, out, max, 0, parse_special ? 1 : 0);
}

static void terse_free_model(void *m) { terse_llama.model_free(m); }
static int32_t terse_n_vocab(void *m) { return terse_llama.vocab_n_tokens(terse_llama.model_get_vocab(m)); }

// terse_logits decodes tokens[0..n) in a fresh context (F32 KV cache, no
// flash attention) and copies the logits of every position into out (n×V).
// It returns 0 on success, -1 when the context fails, else llama_decode's code
// (or -2 when a position has no logits).
static int32_t terse_logits(void *model, const int32_t *tokens, int32_t n, int32_t threads, int32_t n_vocab, float *out) {
	struct terse_context_params cp = terse_llama.context_default_params();
	uint32_t sz = n < 16 ? 16 : (uint32_t)n;
	cp.n_ctx = sz; cp.n_batch = sz; cp.n_ubatch = sz;
	if (threads > 0) { cp.n_threads = threads; cp.n_threads_batch = threads; }
	cp.type_k = 0; cp.type_v = 0;  // GGML_TYPE_F32
	cp.flash_attn_type = 0;        // LLAMA_FLASH_ATTN_TYPE_DISABLED
	void *ctx = terse_llama.init_from_model(model, cp);
	if (!ctx) return -1;
	int32_t *tok = malloc(sizeof(int32_t) * n);
	int8_t *want = malloc(n);
	memcpy(tok, tokens, sizeof(int32_t) * n);
	memset(want, 1, n);
	struct terse_batch b = {0};
	b.n_tokens = n; b.token = tok; b.logits = want;
	int32_t rc = terse_llama.decode(ctx, b);
	for (int32_t i = 0; rc == 0 && i < n; i++) {
		float *l = terse_llama.get_logits_ith(ctx, i);
		if (!l) { rc = -2; break; }
		memcpy(out + (size_t)i * n_vocab, l, sizeof(float) * n_vocab);
	}
	free(tok);
	free(want);
	terse_llama.free(ctx);
	return rc;
}

// terse_generate_greedy decodes n_seq copies of prompt[0..n_prompt) as
// sequences 0..n_seq-1 of one context (one KV stream per sequence, F32 K/V, flash
// attention off), then n_new greedy steps, each one llama_decode of n_seq
// tokens. Generated ids go to out (n_seq×n_new, row per sequence). It returns
// 0 on success, -1 when the context fails, -2 when logits are missing, else
// llama_decode's code.
static int32_t terse_generate_greedy(void *model, const int32_t *prompt, int32_t n_prompt, int32_t n_seq, int32_t n_new, int32_t threads, int32_t n_vocab, int32_t *out) {
	struct terse_context_params cp = terse_llama.context_default_params();
	uint32_t n_ctx = (uint32_t)n_seq * (uint32_t)(n_prompt + n_new);
	uint32_t nb = (uint32_t)n_seq * (uint32_t)n_prompt;
	if (nb < (uint32_t)n_seq) nb = n_seq;
	cp.n_ctx = n_ctx; cp.n_batch = nb; cp.n_ubatch = nb;
	cp.n_seq_max = n_seq; cp.kv_unified = 0; // one KV stream per sequence: attention spans only its own cells
	if (threads > 0) { cp.n_threads = threads; cp.n_threads_batch = threads; }
	cp.type_k = 0; cp.type_v = 0;
	cp.flash_attn_type = 0;
	void *ctx = terse_llama.init_from_model(model, cp);
	if (!ctx) return -1;
	int32_t cap = (int32_t)nb;
	int32_t *tok = malloc(sizeof(int32_t) * cap);
	int32_t *pos = malloc(sizeof(int32_t) * cap);
	int32_t *nsid = malloc(sizeof(int32_t) * cap);
	int32_t **sid = malloc(sizeof(int32_t *) * cap);
	int32_t *sidv = malloc(sizeof(int32_t) * cap);
	int8_t *want = malloc(cap);
	int32_t *last = malloc(sizeof(int32_t) * n_seq); // batch index holding each sequence's logits
	int32_t n = 0;
	for (int32_t s = 0; s < n_seq; s++) {
		for (int32_t i = 0; i < n_prompt; i++, n++) {
			tok[n] = prompt[i]; pos[n] = i; nsid[n] = 1; sidv[n] = s; sid[n] = &sidv[n];
			want[n] = i == n_prompt - 1;
		}
		last[s] = n - 1;
	}
	struct terse_batch b = {0};
	b.token = tok; b.pos = pos; b.n_seq_id = nsid; b.seq_id = sid; b.logits = want;
	b.n_tokens = n;
	int32_t rc = terse_llama.decode(ctx, b);
	for (int32_t step = 0; rc == 0 && step < n_new; step++) {
		for (int32_t s = 0; s < n_seq; s++) {
			float *l = terse_llama.get_logits_ith(ctx, last[s]);
			if (!l) { rc = -2; break; }
			int32_t best = 0;
			for (int32_t v = 1; v < n_vocab; v++) if (l[v] > l[best]) best = v;
			out[(size_t)s * n_new + step] = best;
			tok[s] = best; pos[s] = n_prompt + step; nsid[s] = 1; sidv[s] = s; sid[s] = &sidv[s]; want[s] = 1;
			last[s] = s;
		}
		if (rc != 0 || step == n_new - 1) break;
		b.n_tokens = n_seq;
		rc = terse_llama.decode(ctx, b);
	}
	free(tok); free(pos); free(nsid); free(sid); free(sidv); free(want); free(last);
	terse_llama.free(ctx);
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"unsafe"
)

var (
	mu     sync.Mutex
	loaded *Lib // libllama can be loaded once per process
)

// Lib is the loaded libllama.
type Lib struct {
	Path string
}

// Open loads libllama from dir (a file named libllama*.so), loads the ggml
// CPU backends next to it and initialises llama.cpp. Its log is silenced
// unless verbose. A process loads one library; opening another dir fails.
func Open(dir string, verbose bool) (*Lib, error) {
	mu.Lock()
	defer mu.Unlock()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("llamacpp: %w", err)
	}
	if loaded != nil {
		if filepath.Dir(loaded.Path) != abs {
			return nil, fmt.Errorf("llamacpp: %s already loaded; cannot also load from %s", loaded.Path, abs)
		}
		return loaded, nil
	}
	path, err := findLib(abs)
	if err != nil {
		return nil, err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if missing := C.terse_llama_open(cpath); missing != nil {
		if name := C.GoString(missing); name != "dlopen" {
			return nil, fmt.Errorf("llamacpp: %s: missing symbol %s", path, name)
		}
		return nil, fmt.Errorf("llamacpp: dlopen %s: %s", path, C.GoString(C.dlerror()))
	}
	if err := checkLayout(); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	cdir := C.CString(abs)
	defer C.free(unsafe.Pointer(cdir))
	quiet := C.int(1)
	if verbose {
		quiet = 0
	}
	C.terse_llama_init(cdir, quiet)
	loaded = &Lib{Path: path}
	return loaded, nil
}

// findLib picks the libllama in dir (the versioned file or its symlink).
func findLib(dir string) (string, error) {
	matches, _ := filepath.Glob(filepath.Join(dir, "libllama*.so"))
	sort.Strings(matches)
	for _, m := range matches {
		if filepath.Base(m) == "libllama-common.so" {
			continue
		}
		if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
			return m, nil
		}
	}
	return "", fmt.Errorf("%w: no libllama*.so in %s (run scripts/fetch-llamacpp.sh or set TERSE_LLAMACPP_LIB)", ErrNoLibrary, dir)
}

// checkLayout compares the library's default parameters with llama.cpp's
// documented defaults, which catches a shifted struct layout.
func checkLayout() error {
	c := C.terse_context_defaults()
	if c.n_ctx != 512 || c.n_batch != 2048 || c.n_ubatch != 512 || c.n_seq_max != 1 ||
		c.type_k != 1 || c.type_v != 1 || c.flash_attn_type != -1 || c.defrag_thold != -1 || c.offload_kqv != 1 {
		return fmt.Errorf("%w: llama_context_default_params = %+v", ErrLayout, c)
	}
	m := C.terse_model_defaults()
	if m.devices != nil || m.use_extra_bufts != 1 || m.vocab_only != 0 || m.n_gpu_layers != -1 {
		return fmt.Errorf("%w: llama_model_default_params = %+v", ErrLayout, m)
	}
	return nil
}

// Model is a loaded GGUF model. It serves one goroutine at a time.
type Model struct {
	ptr    unsafe.Pointer
	NVocab int
}

// LoadModel loads a GGUF file on the CPU.
func (l *Lib) LoadModel(path string) (*Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("llamacpp: %w", err)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	ptr := C.terse_load_model(cpath)
	if ptr == nil {
		return nil, fmt.Errorf("llamacpp: llama_model_load_from_file(%s) failed (Open with verbose=true shows llama.cpp's log)", path)
	}
	return &Model{ptr: ptr, NVocab: int(C.terse_n_vocab(ptr))}, nil
}

// Close frees the model.
func (m *Model) Close() {
	if m.ptr != nil {
		C.terse_free_model(m.ptr)
		m.ptr = nil
	}
}

// Tokenize encodes text with llama.cpp's tokenizer for the model's vocabulary
// (tokenizer.ggml.*), adding no BOS/EOS. With parseSpecial, special tokens
// written in text (e.g. "<|endoftext|>") become their ids.
func (m *Model) Tokenize(text string, parseSpecial bool) ([]int32, error) {
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	ps := C.int(0)
	if parseSpecial {
		ps = 1
	}
	out := make([]int32, len(text)+8)
	n := C.terse_tokenize(m.ptr, ctext, C.int32_t(len(text)), (*C.int32_t)(unsafe.Pointer(&out[0])), C.int32_t(len(out)), ps)
	if n < 0 {
		return nil, fmt.Errorf("llamacpp: tokenizing %d bytes needs %d tokens", len(text), -int32(n))
	}
	return out[:n], nil
}

// Logits runs tokens through the model as one batch (positions 0..T-1, a
// fresh context with an F32 KV cache and flash attention off, so nothing is
// rounded to f16) and returns the logits at every position, (T, NVocab).
// threads ≤ 0 keeps llama.cpp's default.
func (m *Model) Logits(tokens []int32, threads int) ([][]float32, error) {
	T := len(tokens)
	if T == 0 {
		return nil, errors.New("llamacpp: empty prompt")
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= m.NVocab {
			return nil, fmt.Errorf("llamacpp: token %d at position %d outside [0,%d)", t, i, m.NVocab)
		}
	}
	flat := make([]float32, T*m.NVocab)
	rc := C.terse_logits(m.ptr, (*C.int32_t)(unsafe.Pointer(&tokens[0])), C.int32_t(T), C.int32_t(threads), C.int32_t(m.NVocab), (*C.float)(unsafe.Pointer(&flat[0])))
	if rc != 0 {
		return nil, fmt.Errorf("llamacpp: decoding %d tokens failed (code %d)", T, int32(rc))
	}
	out := make([][]float32, T)
	for i := range out {
		out[i] = flat[i*m.NVocab : (i+1)*m.NVocab : (i+1)*m.NVocab]
	}
	return out, nil
}

// GenerateGreedy decodes nSeq copies of prompt as separate sequences of one
// llama.cpp context (one KV stream per sequence, F32 K/V, flash attention off) and
// greedily generates nNew tokens for each, one llama_decode of nSeq tokens
// per step; argmax runs in C over each sequence's logits. It returns the
// generated ids, (nSeq, nNew). threads ≤ 0 keeps llama.cpp's default.
func (m *Model) GenerateGreedy(prompt []int32, nSeq, nNew, threads int) ([][]int32, error) {
	if len(prompt) == 0 {
		return nil, errors.New("llamacpp: empty prompt")
	}
	if nSeq <= 0 || nNew <= 0 {
		return nil, fmt.Errorf("llamacpp: nSeq=%d and nNew=%d must be > 0", nSeq, nNew)
	}
	for i, t := range prompt {
		if t < 0 || int(t) >= m.NVocab {
			return nil, fmt.Errorf("llamacpp: token %d at position %d outside [0,%d)", t, i, m.NVocab)
		}
	}
	flat := make([]int32, nSeq*nNew)
	rc := C.terse_generate_greedy(m.ptr, (*C.int32_t)(unsafe.Pointer(&prompt[0])), C.int32_t(len(prompt)), C.int32_t(nSeq), C.int32_t(nNew), C.int32_t(threads), C.int32_t(m.NVocab), (*C.int32_t)(unsafe.Pointer(&flat[0])))
	if rc != 0 {
		return nil, fmt.Errorf("llamacpp: batched greedy generation of %d×%d tokens failed (code %d)", nSeq, nNew, int32(rc))
	}
	out := make([][]int32, nSeq)
	for i := range out {
		out[i] = flat[i*nNew : (i+1)*nNew : (i+1)*nNew]
	}
	return out, nil
}
