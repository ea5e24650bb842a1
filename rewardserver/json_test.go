package rewardserver

import (
	"encoding/json"
	"testing"
)

// rsStringCases are JSON string literals, valid and not.
var rsStringCases = []string{
	`""`, `"abc"`, `"\\frac{1}{2}"`, `"a\"b"`, `"\\\\"`, `"\n\t\r\b\f\/"`,
	`"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`,
	`"` + "\xff\xfe" + `"`, `"é中😀"`, `"\q"`, `"\u12"`, `"\u12G4"`, `"a` + "\x01" + `"`, `"\"`, `"abc`,
}

// TestRSString checks the fast string decoder against encoding/json.
func TestRewardRSString(t *testing.T) {
	for _, c := range rsStringCases {
		var want string
		wantErr := json.Unmarshal([]byte(c), &want)
		got, err := rsString([]byte(c))
		if (err != nil) != (wantErr != nil) || got != want {
			t.Errorf("rsString(%q) = %q, %v; encoding/json: %q, %v", c, got, err, want, wantErr)
		}
	}
}

// FuzzRewardRSString asserts that rsString agrees with encoding/json on any input.
func FuzzRewardRSString(f *testing.F) {
	for _, c := range rsStringCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		if len(c) < 2 || c[0] != '"' || c[len(c)-1] != '"' {
			return // rsString sees only literals delimited by rsSkipString
		}
		var want string
		wantErr := json.Unmarshal([]byte(c), &want)
		got, err := rsString([]byte(c))
		if wantErr == nil && (err != nil || got != want) {
			t.Fatalf("rsString(%q) = %q, %v; encoding/json: %q", c, got, err, want)
		}
		if wantErr != nil && err == nil {
			t.Fatalf("rsString(%q) = %q, accepted what encoding/json rejects: %v", c, got, wantErr)
		}
	})
}

// FuzzRewardRSObject asserts that the splitters accept only what encoding/json
// accepts as an object, and split it into the same members.
func FuzzRewardRSObject(f *testing.F) {
	for _, c := range []string{`{}`, `{"a":1}`, ` {"a" : [1, {"b":"]"}], "c":"\"}"} `, `{"a":}`, `{"a":1,}`, `{"a":1} x`, `{"a":"\\"}`} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		ms, err := rsObject([]byte(c))
		if err != nil {
			return
		}
		// Members' values may still be invalid (validated by consumers);
		// when each is valid, the whole must be a valid object with those keys.
		for _, m := range ms {
			if !json.Valid(m.val) {
				return
			}
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(c), &obj); err != nil {
			t.Fatalf("rsObject(%q) accepted it; encoding/json: %v", c, err)
		}
		for _, m := range ms {
			if _, ok := obj[m.key]; !ok {
				t.Fatalf("rsObject(%q): key %q not in %v", c, m.key, obj)
			}
		}
	})
}
