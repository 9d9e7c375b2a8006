package jsonrpc

import (
	"encoding/json"
	"errors"
)

var errNotObject = errors.New("jsonrpc: not a JSON object")

// parseRequest reads the members of a request object. msg must be valid
// JSON (checked by the caller); values are returned as sub-slices of msg.
// Unlike encoding/json, member names match exactly, as the specification's
// names are case-sensitive; a repeated member counts by its last value, as
// with encoding/json. Decoding the request with reflection took half the
// time of a whole call.
func parseRequest(msg []byte) (wireRequest, error) {
	var req wireRequest
	i := skipWS(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return req, errNotObject
	}
	i++
	for {
		i = skipWS(msg, i)
		if i >= len(msg) {
			return req, errNotObject
		}
		if msg[i] == '}' {
			return req, nil
		}
		if msg[i] == ',' {
			i = skipWS(msg, i+1)
		}
		if i >= len(msg) || msg[i] != '"' {
			return req, errNotObject
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
				return req, errNotObject
			}
			key = []byte(k)
		}
		i = skipWS(msg, kend)
		if i >= len(msg) || msg[i] != ':' {
			return req, errNotObject
		}
		i = skipWS(msg, i+1)
		vend := skipValue(msg, i)
		if vend <= i || vend > len(msg) {
			return req, errNotObject
		}
		v := json.RawMessage(msg[i:vend:vend])
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
		i = vend
	}
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
