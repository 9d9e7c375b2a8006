package jsonrpc

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseRequest checks the reflection-free request reader against
// encoding/json on every valid JSON object: the same members, by exact
// name, the last of repeated ones.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}`))
	f.Add([]byte(`{"id": 3, "method": "echo", "params": {"data": [1, 2, 3], "nested": {"key": "value"}}}`))
	f.Add([]byte(`{"method":"a","method":"b","\u0069d":"x\"]}","params":[{"}":"{"}]}`))
	f.Add([]byte(` { "id" : -1.5e3 , "params" : null , "jsonrpc" : true } `))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if !json.Valid(msg) || firstByte(msg) != '{' {
			return
		}
		got, err := parseRequest(msg)
		if err != nil {
			t.Fatalf("parseRequest(%q) = %v", msg, err)
		}
		// encoding/json keeps the last of repeated names in a map.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			t.Fatalf("json.Unmarshal(%q) = %v", msg, err)
		}
		for name, v := range map[string]json.RawMessage{
			"jsonrpc": got.JSONRPC, "method": got.Method, "params": got.Params, "id": got.ID,
		} {
			if want := m[name]; !bytes.Equal(v, want) {
				t.Errorf("parseRequest(%q).%s = %q, want %q", msg, name, v, want)
			}
		}
	})
}

func TestElements(t *testing.T) {
	var got []string
	if err := elements([]byte(` [1, "a,]", {"b": [2]} , null] `), func(v json.RawMessage) { got = append(got, string(v)) }); err != nil {
		t.Fatal(err)
	}
	want := []string{`1`, `"a,]"`, `{"b": [2]}`, `null`}
	if len(got) != len(want) {
		t.Fatalf("elements = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("element %d = %s, want %s", i, got[i], want[i])
		}
	}
	if err := elements([]byte(`[]`), func(json.RawMessage) { t.Error("called for an empty array") }); err != nil {
		t.Error(err)
	}
}

// TestPlainString: plainString reads the strings it accepts exactly as
// encoding/json does, and leaves the others (escapes, invalid UTF-8, which
// encoding/json replaces with U+FFFD) to it.
func TestPlainString(t *testing.T) {
	for in, want := range map[string]bool{
		`"Go"`: true, `""`: true, `"é"`: true, `"a\"b"`: false, `5`: false, `"\u00e9"`: false,
		"\"a\xff\"": false, "\"\xe9t\xe9\"": false, "\"\xf0\x9f\x98\x80\"": true,
	} {
		got, ok := plainString([]byte(in))
		if ok != want {
			t.Errorf("plainString(%q) ok = %v, want %v", in, ok, want)
		}
		var std string
		if ok && (json.Unmarshal([]byte(in), &std) != nil || got != std) {
			t.Errorf("plainString(%q) = %q, encoding/json reads %q", in, got, std)
		}
	}
}
