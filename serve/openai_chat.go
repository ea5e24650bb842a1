package serve

import (
	"fmt"
	"strings"

	"github.com/terse-dev/terse/engine/tokenizer"
)

// oaiMessage is one chat message with its content flattened to text.
type oaiMessage struct {
	Role    string
	Content string
}

// oaiTemplate renders chat messages into a prompt.
type oaiTemplate struct {
	name string // ChatTemplatePlain or ChatTemplateQwen
}

// oaiNewTemplate resolves name (ChatTemplateAuto from the tokenizer's own
// chat template) and checks that the tokenizer can encode its markers.
func oaiNewTemplate(name string, tok tokenizer.Tokenizer) (oaiTemplate, error) {
	if name == ChatTemplateAuto {
		name = ChatTemplatePlain
		if ct, ok := tok.(interface{ ChatTemplate() string }); ok && strings.Contains(ct.ChatTemplate(), "<|im_start|>") {
			name = ChatTemplateQwen
		}
	}
	switch name {
	case ChatTemplatePlain:
	case ChatTemplateQwen:
		for _, t := range []string{"<|im_start|>", "<|im_end|>"} {
			if _, ok := tok.TokenID(t); !ok {
				return oaiTemplate{}, fmt.Errorf("chat template %q needs the token %s, which the tokenizer lacks", name, t)
			}
		}
	default:
		return oaiTemplate{}, fmt.Errorf("unknown chat template %q (want one of %s)", name, strings.Join(ChatTemplates(), ", "))
	}
	return oaiTemplate{name: name}, nil
}

// render returns the prompt for msgs and the text of the assistant turn the
// model continues (the prefill, or the final assistant message when
// cont is set), which decides whether the output opens inside <think>.
//
// With cont, the final message must be the assistant's and is left open (no
// end marker, no generation prompt): vLLM's continue_final_message. Else,
// with addGen, the assistant's generation prompt and prefill follow.
func (t oaiTemplate) render(msgs []oaiMessage, addGen, cont bool, prefill string) (prompt, turn string) {
	var b strings.Builder
	last := len(msgs) - 1
	for i, m := range msgs {
		open := cont && i == last
		switch t.name {
		case ChatTemplateQwen:
			b.WriteString("<|im_start|>" + m.Role + "\n" + m.Content)
			if !open {
				b.WriteString("<|im_end|>\n")
			}
		default: // plain: contents only, as the char-level default template
			b.WriteString(m.Content)
		}
		if open {
			turn = m.Content
		}
	}
	if !cont && addGen {
		if t.name == ChatTemplateQwen {
			b.WriteString("<|im_start|>assistant\n")
		}
		b.WriteString(prefill)
		turn = prefill
	}
	return b.String(), turn
}

// oaiThinkOpen reports whether the assistant turn so far leaves a <think>
// block open, so that the output starts inside the reasoning.
func oaiThinkOpen(turn string) bool {
	i := strings.LastIndex(turn, tokenizer.ThinkStart)
	return i >= 0 && !strings.Contains(turn[i:], tokenizer.ThinkEnd)
}

// oaiSplitReasoning splits a chat output into reasoning and content, as
// vLLM's reasoning parsers do for a thinking turn: the output is a thought
// when the assistant turn left a <think> block open (thinkOpen, e.g. a
// "<think>" prefill) or the output starts with <think> (stripped). A thought
// runs to the first </think>; the text after it is the content. A thought
// without </think> (truncated) is all reasoning. Any other output is all
// content (hasReasoning false). Streaming applies the same rule to each
// prefix, so the streamed deltas add up to these two strings.
func oaiSplitReasoning(text string, thinkOpen bool) (reasoning, content string, hasReasoning bool) {
	startsThink := strings.HasPrefix(text, tokenizer.ThinkStart)
	if !thinkOpen && !startsThink {
		return "", text, false
	}
	text = strings.TrimPrefix(text, tokenizer.ThinkStart)
	if i := strings.Index(text, tokenizer.ThinkEnd); i >= 0 {
		return text[:i], text[i+len(tokenizer.ThinkEnd):], true
	}
	return text, "", true
}
