package checkpoint

import (
	"fmt"
	"unicode/utf8"

	"github.com/terse-dev/terse/engine/gguf"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// GGUFOptions tune ExportGGUF.
type GGUFOptions struct {
	Name string // general.name; empty means "terse-" + the architecture
	F16  bool   // store 2-D weights as F16 (norms stay F32); default all F32
}

// ExportGGUF writes m and tok as a GGUF file that llama.cpp loads:
// general.architecture "qwen3" or "qwen2" (the model's model_type), the
// <arch>.* hyperparameters, llama.cpp tensor names (both use NEOX RoPE, so
// q/k weights are copied unpermuted; qwen2's q/k/v biases become
// blk.N.attn_{q,k,v}.bias)
// and a "gpt2" (byte-level BPE) vocabulary padded to vocab_size with unused
// "[PADn]" tokens, as convert_hf_to_gguf.py does. A CharLevel tokenizer is
// written as byte-level tokens with merges only for multi-byte characters.
func ExportGGUF(path string, m *model.Model, tok tokenizer.Tokenizer, opts GGUFOptions) error {
	if tok == nil {
		return fmt.Errorf("checkpoint: GGUF export needs a tokenizer")
	}
	c := m.Config
	vocab, err := ggufVocab(tok, c.VocabSize)
	if err != nil {
		return err
	}
	vkv, err := vocab.KVs()
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	ft := gguf.FileTypeAllF32
	if opts.F16 {
		ft = gguf.FileTypeMostlyF16
	}
	arch := gguf.ArchQwen3
	if c.ModelType == model.ModelQwen2 {
		arch = gguf.ArchQwen2
	}
	params := gguf.Params{
		Arch: arch, Name: opts.Name, ContextLength: c.MaxPositionEmbeddings, EmbeddingLength: c.HiddenSize,
		BlockCount: c.NumHiddenLayers, FeedForwardLength: c.IntermediateSize,
		HeadCount: c.NumAttentionHeads, HeadCountKV: c.NumKeyValueHeads, HeadDim: c.HeadDimOrDefault(),
		RopeFreqBase: float32(c.RopeTheta), RMSNormEps: float32(c.RMSNormEps), FileType: ft,
	}
	kvs := append(params.KVs(), vkv...)
	var tensors []gguf.Tensor
	for _, t := range m.Tensors() {
		name, err := gguf.TensorName(arch, t.Name)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		typ := gguf.F32
		if opts.F16 && len(t.Shape) == 2 {
			typ = gguf.F16
		}
		tensors = append(tensors, gguf.Tensor{Name: name, Shape: t.Shape, Type: typ, Data: t.Data})
	}
	if err := gguf.WriteFile(path, kvs, tensors); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// ggufVocab converts tok into llama.cpp's tokenizer.ggml.* arrays of V tokens.
func ggufVocab(tok tokenizer.Tokenizer, V int) (gguf.Vocab, error) {
	if tok.VocabSize() > V {
		return gguf.Vocab{}, fmt.Errorf("checkpoint: tokenizer has %d tokens, model vocab_size is %d", tok.VocabSize(), V)
	}
	sp := tok.Special()
	v := gguf.Vocab{Model: "gpt2", Tokens: make([]string, V), Types: make([]int32, V), EOS: sp.EOS, PAD: sp.PAD, BOS: sp.BOS, AddBOS: sp.AddBOS}
	if v.BOS < 0 {
		// llama.cpp's gpt2 default BOS id (11) may lie outside a small vocab;
		// name EOS instead. add_bos_token is false, so it is never inserted.
		v.BOS = sp.EOS
	}
	switch t := tok.(type) {
	case *tokenizer.BPE:
		v.Pre = t.PreTokenizer()
		v.Merges = t.Merges()
		v.ChatTemplate = t.ChatTemplate()
		for id := range V {
			s, ok := t.Token(int32(id))
			switch {
			case !ok:
				v.Tokens[id], v.Types[id] = fmt.Sprintf("[PAD%d]", id), gguf.TokenUnused
			case t.IsSpecial(int32(id)):
				v.Tokens[id], v.Types[id] = s, gguf.TokenControl
			case t.IsAdded(int32(id)):
				v.Tokens[id], v.Types[id] = s, gguf.TokenUserDefined
			default:
				v.Tokens[id], v.Types[id] = s, gguf.TokenNormal
			}
		}
	case *tokenizer.CharLevel:
		v.Pre = "default"
		v.ChatTemplate = t.ChatTemplate()
		seen := map[string]bool{}
		for id := range V {
			s, ok := t.Token(int32(id))
			switch {
			case !ok:
				v.Tokens[id], v.Types[id] = fmt.Sprintf("[PAD%d]", id), gguf.TokenUnused
			case t.IsSpecial(int32(id)):
				v.Tokens[id], v.Types[id] = s, gguf.TokenControl
			default:
				v.Tokens[id], v.Types[id] = tokenizer.ToByteLevel(s), gguf.TokenNormal
				// A multi-byte character needs merges from its bytes up.
				if utf8.RuneCountInString(s) == 1 && len(s) > 1 {
					left := tokenizer.ToByteLevel(s[:1])
					for i := 1; i < len(s); i++ {
						right := tokenizer.ToByteLevel(s[i : i+1])
						if mg := left + " " + right; !seen[mg] {
							seen[mg] = true
							v.Merges = append(v.Merges, mg)
						}
						left += right
					}
				}
			}
		}
	default:
		return gguf.Vocab{}, fmt.Errorf("checkpoint: GGUF export does not know tokenizer type %T", tok)
	}
	return v, nil
}
