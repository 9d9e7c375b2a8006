package httpie

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The wants are what CPython 3.11's json.dumps(json.loads(literal)) and
// HTTPie 3.2.1 (`http --offline --print=B`) print.
func TestPyNumber(t *testing.T) {
	for lit, want := range map[string]string{
		"1.50": "1.5", "1e16": "1e+16", "1e15": "1000000000000000.0", "123456.789e3": "123456789.0",
		"0.0001": "0.0001", "0.00001": "1e-05", "-0": "0", "-0.0": "-0.0", "1E400": "Infinity",
		"12345678901234567890": "12345678901234567890", "7": "7", "true": "true", "null": "null",
	} {
		if got := pyNumber(lit); got != want {
			t.Errorf("pyNumber(%s) = %s, want %s", lit, got, want)
		}
	}
}

func TestPyString(t *testing.T) {
	var b bytes.Buffer
	pyString(&b, "é😀\u007f\t\"\\/")
	if want := `"\u00e9\ud83d\ude00\u007f\t\"\\/"`; b.String() != want {
		t.Errorf("pyString = %s, want %s", b.String(), want)
	}
}

func TestJSONBody(t *testing.T) {
	for _, tt := range []struct {
		items []string
		want  string // HTTPie 3.2.1's body, or "error"
	}{
		{[]string{"a=1", "b:=2"}, `{"a": "1", "b": 2}`},
		{[]string{"a[]:=1", "a[]:=2"}, `{"a": [1, 2]}`},
		{[]string{"[]:=1", "[]:=2"}, `[1, 2]`},
		{[]string{"a[2]=x"}, `{"a": [null, null, "x"]}`},
		{[]string{"a[b][c]=1", "a[b][d]:=true"}, `{"a": {"b": {"c": "1", "d": true}}}`},
		{[]string{`foo\[bar\]=1`}, `{"foo[bar]": "1"}`},
		{[]string{"a=1", "a=2"}, `{"a": "2"}`},
		{[]string{"x[0]=a", "x[2]=c"}, `{"x": ["a", null, "c"]}`},
		{[]string{"n:=1.50", "m:=1e16", "o:=-0", "p:= [ 1 ,2 ]", `q:="\u00e9"`}, `{"n": 1.5, "m": 1e+16, "o": 0, "p": [1, 2], "q": "\u00e9"}`},
		{[]string{`o:={"z":1,"a":2}`, "o[m]=3"}, `{"o": {"z": 1, "a": 2, "m": "3"}}`},
		{[]string{"a=1", "a:=2", "a[]=3"}, "error"},
		{[]string{"a[x]=1", "a[]=2"}, "error"},
		{[]string{"a[100001]=x"}, "error"},
		{nil, `{}`},
	} {
		var items []Item
		for _, s := range tt.items {
			it, err := ParseItem(s)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
		}
		got, err := JSONBody(items)
		if tt.want == "error" {
			if err == nil {
				t.Errorf("%v: %s, want an error", tt.items, got)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("%v: %s, %v; want %s", tt.items, got, err, tt.want)
		}
	}
}

// FuzzJSONBody: any keys and values build a body that is valid JSON, or
// an error; never a panic.
func FuzzJSONBody(f *testing.F) {
	f.Add("a[b][]", "x", `[1,{"k":null}]`)
	f.Add("[]", "1", "2.5e-7")
	f.Add(`a\[`, "é", `"\ud83d\ude00"`)
	f.Fuzz(func(t *testing.T, key, str, raw string) {
		items := []Item{{Kind: Data, Key: key, Value: str}}
		if it, err := ParseItem(key + ":=" + raw); err == nil && it.Kind == RawJSON {
			items = append(items, it)
		}
		b, err := JSONBody(items)
		if err != nil {
			return
		}
		// Python writes an out-of-range number as Infinity, which is
		// not JSON; HTTPie sends it so.
		if !jsonValid(b) && !strings.Contains(string(b), "Infinity") {
			t.Fatalf("%q: invalid JSON %s", items, b)
		}
		if strings.ContainsFunc(string(b), func(r rune) bool { return r > 0x7e }) {
			t.Fatalf("%q: non-ASCII in %s", items, b)
		}
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }
