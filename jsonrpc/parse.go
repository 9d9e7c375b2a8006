package jsonrpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

var (
	errNotObject = errors.New("jsonrpc: not a JSON object")
	errNotArray  = errors.New("jsonrpc: not a JSON array")
)

// parseRequest reads the members of a request object. msg must be valid
// JSON (checked by the caller); values are returned as sub-slices of msg.
// Unlike encoding/json, member names match exactly, as the specification's
// names are case-sensitive; a repeated member counts by its last value, as
// with encoding/json. Decoding the request with reflection took half the
// time of a whole call.
func parseRequest(msg []byte) (wireRequest, error) {
	var req wireRequest
	err := members(msg, func(key []byte, v json.RawMessage) {
		switch string(key) {
		case "jsonrpc":
			req.JSONRPC = v
		case "method":
			req.Method = v
		case "params":
			req.Params = v
		case "id":
			req.ID = v
		}
	})
	return req, err
}

// members calls fn with each member of the JSON object msg, which must be
// valid JSON; values are sub-slices of msg.
func members(msg []byte, fn func(key []byte, value json.RawMessage)) error {
	i := skipWS(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return errNotObject
	}
	i++
	for {
		i = skipWS(msg, i)
		if i >= len(msg) {
			return errNotObject
		}
		if msg[i] == '}' {
			return nil
		}
		if msg[i] == ',' {
			i = skipWS(msg, i+1)
		}
		if i >= len(msg) || msg[i] != '"' {
			return errNotObject
		}
		kend := skipString(msg, i)
		key, escaped := msg[i+1:max(kend-1, i+1)], false
		for _, c := range key {
			if c == '\\' {
				escaped = true
				break
			}
		}
		if escaped {
			var k string
			if json.Unmarshal(msg[i:kend], &k) != nil {
				return errNotObject
			}
			key = []byte(k)
		}
		i = skipWS(msg, kend)
		if i >= len(msg) || msg[i] != ':' {
			return errNotObject
		}
		i = skipWS(msg, i+1)
		vend := skipValue(msg, i)
		if vend <= i || vend > len(msg) {
			return errNotObject
		}
		fn(key, msg[i:vend:vend])
		i = vend
	}
}

// elements calls fn with each element of the JSON array msg, which must be
// valid JSON.
func elements(msg []byte, fn func(value json.RawMessage)) error {
	i := skipWS(msg, 0)
	if i >= len(msg) || msg[i] != '[' {
		return errNotArray
	}
	i++
	for {
		i = skipWS(msg, i)
		if i >= len(msg) {
			return errNotArray
		}
		switch msg[i] {
		case ']':
			return nil
		case ',':
			i = skipWS(msg, i+1)
		}
		vend := skipValue(msg, i)
		if vend <= i || vend > len(msg) {
			return errNotArray
		}
		fn(msg[i:vend:vend])
		i = vend
	}
}

// DecodeFields reads a call's params for a ParamsDecoder: it calls set
// with each value of raw for a field of names, by name from an object or by
// position from an array (the i-th element for names[i]). Absent or null
// params set nothing; more positional params than names is an error. raw
// must be valid JSON, as the server has checked before any handler runs.
func DecodeFields(raw json.RawMessage, names []string, set func(i int, v json.RawMessage)) error {
	switch firstByte(raw) {
	case 0, 'n':
		return nil
	case '{':
		return members(raw, func(k []byte, v json.RawMessage) {
			for i, name := range names {
				if string(k) == name {
					set(i, v)
					return
				}
			}
		})
	case '[':
		n := 0
		if err := elements(raw, func(v json.RawMessage) {
			if n < len(names) {
				set(n, v)
			}
			n++
		}); err != nil {
			return err
		}
		if n > len(names) {
			return tooManyPositional(n, len(names))
		}
		return nil
	}
	return errors.New("params must be an object or an array")
}

func tooManyPositional(n, max int) error {
	return fmt.Errorf("%d positional params, the method takes at most %d", n, max)
}

// unmarshalString is json.Unmarshal(v, s) for a string, without
// encoding/json for the plain strings that plainString reads.
func unmarshalString(v []byte, s *string) error {
	if text, ok := plainString(v); ok {
		*s = text
		return nil
	}
	return json.Unmarshal(v, s)
}

// plainString returns the text of the JSON string v when it has no escape
// sequences and is valid UTF-8, the common case worth skipping
// encoding/json for (which replaces invalid UTF-8 with U+FFFD).
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	text, ascii := v[1:len(v)-1], true
	for _, c := range text {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(text) {
		return "", false
	}
	return string(text), true
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the valid JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}
