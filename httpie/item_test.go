package httpie

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseItem(t *testing.T) {
	tests := []struct {
		in      string
		want    Item
		wantErr bool
	}{
		{"Accept:application/json", Item{Header, "Accept", "application/json"}, false},
		{"X-Token: abc", Item{Header, "X-Token", "abc"}, false},
		{"page==2", Item{Query, "page", "2"}, false},
		{"q==a=b", Item{Query, "q", "a=b"}, false},
		{"name=Alice", Item{Data, "name", "Alice"}, false},
		{"url=http://x", Item{Data, "url", "http://x"}, false},
		{"age:=30", Item{RawJSON, "age", "30"}, false},
		{`roles:=["a"]`, Item{RawJSON, "roles", `["a"]`}, false},
		{"doc@notes.txt", Item{File, "doc", "notes.txt"}, false},
		{`a\:b=c`, Item{Data, "a:b", "c"}, false},
		{`a\\=c`, Item{Data, `a\`, "c"}, false},
		{"age:=thirty", Item{}, true},
		{"=x", Item{}, true},
		{"plain", Item{}, true},
	}
	for _, tt := range tests {
		got, err := ParseItem(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("ParseItem(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrItem) {
			t.Errorf("ParseItem(%q) error %v does not wrap ErrItem", tt.in, err)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		args        []string
		method, url string
		items       int
	}{
		{[]string{"example.org"}, "", "http://example.org", 0},
		{[]string{"post", "example.org", "a=1"}, "POST", "http://example.org", 1},
		{[]string{"example.org", "a=1"}, "", "http://example.org", 1},
		{[]string{":8080/x"}, "", "http://localhost:8080/x", 0},
		{[]string{"https://h/p"}, "", "https://h/p", 0},
		// One argument is always the URL, even when it looks like a method.
		{[]string{"localhost"}, "", "http://localhost", 0},
	}
	for _, tt := range tests {
		method, url, items := SplitArgs(tt.args)
		if method != tt.method || url != tt.url || len(items) != tt.items {
			t.Errorf("SplitArgs(%q) = %q, %q, %d items; want %q, %q, %d", tt.args, method, url, len(items), tt.method, tt.url, tt.items)
		}
	}
}

func TestJSONObject(t *testing.T) {
	items := []Item{{Data, "z", "1"}, {Header, "X", "y"}, {RawJSON, "a", `[1,{"b":null}]`}, {Data, `q"`, "é"}}
	got := string(JSONObject(items))
	want := `{"z":"1","a":[1,{"b":null}],"q\"":"é"}`
	if got != want {
		t.Errorf("JSONObject = %s, want %s", got, want)
	}
	if got := string(JSONObject(nil)); got != "{}" {
		t.Errorf("JSONObject(nil) = %s, want {}", got)
	}
}

func FuzzParseItem(f *testing.F) {
	for _, s := range []string{"Accept:application/json", "page==2", "name=Alice", "age:=30", `roles:=["a"]`, "doc@notes.txt", `a\:b=c`, "X:", "==", `\`, ":=:=", "@", "@body.json", "n=@f", "j:=@f.json", "X-Empty;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		it, err := ParseItem(s)
		if err != nil {
			return
		}
		if it.Key == "" && it.Kind != File { // "@file" alone is the raw body
			t.Errorf("ParseItem(%q) = %+v with an empty name", s, it)
		}
		if it.Kind == RawJSON && !json.Valid([]byte(it.Value)) {
			t.Errorf("ParseItem(%q) raw JSON %q is not valid", s, it.Value)
		}
		if len(it.Key)+len(it.Value) > len(s) {
			t.Errorf("ParseItem(%q) = %+v, longer than its input", s, it)
		}
		if !json.Valid(JSONObject([]Item{it})) {
			t.Errorf("JSONObject of ParseItem(%q) = %s, not valid JSON", s, JSONObject([]Item{it}))
		}
	})
}
