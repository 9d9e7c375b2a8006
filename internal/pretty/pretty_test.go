package pretty

import (
	"regexp"
	"strings"
	"testing"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestColorJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a": 1}`, "{" + Key + `"a"` + Reset + ": " + Literal + "1" + Reset + "}"},
		{`["x", true, null, -2.5e3]`, "[" + String + `"x"` + Reset + ", " + Literal + "true" + Reset + ", " + Literal + "null" + Reset + ", " + Literal + "-2.5e3" + Reset + "]"},
		{`{"k\"q" : "v:"}`, "{" + Key + `"k\"q"` + Reset + " : " + String + `"v:"` + Reset + "}"},
		{`"unterminated`, String + `"unterminated` + Reset},
	}
	for _, tt := range tests {
		if got := ColorJSON(tt.in); got != tt.want {
			t.Errorf("ColorJSON(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := ansi.ReplaceAllString(ColorJSON(tt.in), ""); got != tt.in {
			t.Errorf("ColorJSON(%q) without colours = %q, want the input", tt.in, got)
		}
	}
}

func TestJSON(t *testing.T) {
	got, ok := JSON([]byte(`{"a":[1,"b"]}`))
	want := "{\n    " + Key + `"a"` + Reset + ": [\n        " + Literal + "1" + Reset + ",\n        " + String + `"b"` + Reset + "\n    ]\n}"
	if !ok || got != want {
		t.Errorf("JSON = %q, %v; want %q, true", got, ok, want)
	}
	if got, ok := JSON([]byte("{not json")); ok || got != "{not json" {
		t.Errorf("JSON(invalid) = %q, %v; want the input, false", got, ok)
	}
}

func FuzzColorJSON(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, `["x", true]`, `"\"`, `{"k\"q" : "v:"}`, "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0x1b) >= 0 {
			// JSON text never holds a raw ESC (encoding/json escapes
			// control characters), and stripping colours is only defined
			// on text without one.
			return
		}
		if got := ansi.ReplaceAllString(ColorJSON(s), ""); got != s {
			t.Errorf("ColorJSON(%q) without colours = %q, want the input", s, got)
		}
	})
}
