package codegrade

import (
	"strings"
	"testing"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name, response, want string
		reason               Reason
	}{
		{"python block", "Here:\n```python\nprint(1)\n```\n", "print(1)\n", ""},
		{"last python block wins", "```python\nprint(1)\n```\ntext\n```python\nprint(2)\n```", "print(2)\n", ""},
		{"python beats later untagged", "```python\nprint(1)\n```\nOutput:\n```\n1\n```", "print(1)\n", ""},
		{"untagged when no python", "```\nprint(3)\n```", "print(3)\n", ""},
		{"other language never run", "```bash\nrm -rf /\n```", "", NoCode},
		{"py3 and Python tags", "```Python3\nx=1\n```", "x=1\n", ""},
		{"tilde fence", "~~~py\nx=2\n~~~", "x=2\n", ""},
		{"longer closing fence", "````python\nx=3\n```` ", "x=3\n", ""},
		{"inner shorter fence stays", "````python\ns='''\n```\n'''\n````", "s='''\n```\n'''\n", ""},
		{"indented fence", "   ```python\nx=4\n   ```", "x=4\n", ""},
		{"unclosed fence is no block", "```python\nprint(1)\n", "", NoCode},
		{"unclosed fence after a block", "```python\nx=1\n```\n```python\nx=2\n", "x=1\n", ""},
		{"thinking stripped", "<think>```python\nprint('draft')\n```</think>\n```python\nprint('final')\n```", "print('final')\n", ""},
		{"code only in thinking", "<think>```python\nprint(1)\n```</think>\nDone.", "", NoCode},
		{"unterminated think", "<think>```python\nprint(1)\n```", "", UnterminatedThink},
		{"no code", "The answer is 42.", "", NoCode},
		{"empty block", "```python\n\n```", "", NoCode},
		{"CRLF", "```python\r\nprint(5)\r\n```\r\n", "print(5)\r\n", ""},
		{"inline backticks are not a fence", "use ```print``` inline\n```python\nx=6\n```", "x=6\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := Extract(tc.response)
			if got != tc.want || why != tc.reason {
				t.Errorf("Extract(%q) = %q, %q; want %q, %q", tc.response, got, why, tc.want, tc.reason)
			}
		})
	}
}

// TestExtractLinear: ten thousand unclosed fences are read in one pass.
func TestExtractLinear(t *testing.T) {
	s := strings.Repeat("```python\nx\n~~~\n", 10000)
	if _, why := Extract(s); why != NoCode {
		t.Errorf("reason %s", why)
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{"```python\nx\n```", "<think>", "~~~\n~~~", "````\n```\n````"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prog, why := Extract(s)
		if (prog == "") == (why == "") {
			t.Fatalf("Extract(%q) = %q, %q: exactly one of program and reason must be set", s, prog, why)
		}
	})
}
