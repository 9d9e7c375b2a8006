package urlparse

import (
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		in, safe, want string
	}{
		{"", "/", ""},
		{"abc", "/", "abc"},
		{"/api/search/hello world & more", "/", "/api/search/hello%20world%20%26%20more"},
		{"/api/search/hello world & more", "", "%2Fapi%2Fsearch%2Fhello%20world%20%26%20more"},
		{"a~b_c.d-e", "", "a~b_c.d-e"},
		{"café", "/", "caf%C3%A9"},
		{"a+b=c", "+=", "a+b=c"},
		{"é", "é", "%C3%A9"}, // non-ASCII safe characters are ignored
		{"\x00\xff", "", "%00%FF"},
	}
	for _, tt := range tests {
		if got := Quote(tt.in, tt.safe); got != tt.want {
			t.Errorf("Quote(%q, %q) = %q, want %q", tt.in, tt.safe, got, tt.want)
		}
	}
}

func TestQuotePlus(t *testing.T) {
	tests := []struct {
		in, safe, want string
	}{
		{"hello world & friends", "", "hello+world+%26+friends"},
		{"a+b c", "", "a%2Bb+c"},
		{"a+b c", "+", "a+b+c"},
		{"/x y", "/", "/x+y"},
		{"no-space", "", "no-space"},
		{"search term with spaces & symbols!", "", "search+term+with+spaces+%26+symbols%21"},
	}
	for _, tt := range tests {
		if got := QuotePlus(tt.in, tt.safe); got != tt.want {
			t.Errorf("QuotePlus(%q, %q) = %q, want %q", tt.in, tt.safe, got, tt.want)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"abc%20def", "abc def"},
		{"%", "%"},
		{"%2", "%2"},
		{"%zz%41", "%zzA"},
		{"%c3%A9", "é"},
		{"%C3", "\ufffd"},
		{"%E2%82", "\ufffd"},     // one U+FFFD for a truncated sequence, as CPython
		{"%E2%82%41", "\ufffdA"}, //
		{"%80%80", "\ufffd\ufffd"},
		{"%ED%A0%80", "\ufffd\ufffd\ufffd"}, // surrogates are invalid
		{"%F0%9F%98%80", "😀"},
		{"%C3é%A9", "\ufffdé\ufffd"}, // Python decodes each ASCII run alone
		{"a+b", "a+b"},
	}
	for _, tt := range tests {
		if got := Unquote(tt.in); got != tt.want {
			t.Errorf("Unquote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := UnquotePlus("%7e/abc+def"), "~/abc def"; got != want {
		t.Errorf("UnquotePlus(%q) = %q, want %q", "%7e/abc+def", got, want)
	}
}

func TestPyRepr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "'abc'"},
		{"it's", `"it's"`},
		{`it's "x"`, `'it\'s "x"'`},
		{"a\tb\n\x00\x7f", `'a\tb\n\x00\x7f'`},
		{"é\u00a0\u200b😀", "'é\\xa0\\u200b😀'"},
		{`\`, `'\\'`},
	}
	for _, tt := range tests {
		if got := pyRepr(tt.in); got != tt.want {
			t.Errorf("pyRepr(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
