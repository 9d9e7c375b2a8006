package httpie

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Kind is the kind of a request item, given by its separator.
type Kind int

// The kinds of request item, by separator.
const (
	Header      Kind = iota // Header:Value, a request header
	Query                   // name==value, a query parameter
	Data                    // name=value, a string field of the JSON or form body
	RawJSON                 // name:=json, a JSON field of the body
	File                    // name@file, a file field of a multipart form
	DataFile                // name=@file, a string field read from a file
	JSONFile                // name:=@file, a JSON field read from a file
	EmptyHeader             // Header;, a header sent with an empty value
)

// String returns the item's separator, as it is written on the command
// line.
func (k Kind) String() string {
	switch k {
	case Header:
		return ":"
	case Query:
		return "=="
	case Data:
		return "="
	case RawJSON:
		return ":="
	case File:
		return "@"
	case DataFile:
		return "=@"
	case JSONFile:
		return ":=@"
	case EmptyHeader:
		return ";"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Item is one parsed request item.
type Item struct {
	Kind  Kind
	Key   string // the name, with its escapes resolved
	Value string // everything after the separator; for RawJSON valid JSON
}

// ErrItem is the error ParseItem's errors wrap: the argument is not a
// request item.
var ErrItem = errors.New("invalid item")

// ItemError is the error ParseItem returns: the argument and why it is not
// a request item.
type ItemError struct {
	Arg    string
	Reason string
}

// Error returns the argument quoted and the reason.
func (e *ItemError) Error() string { return fmt.Sprintf("invalid item %q: %s", e.Arg, e.Reason) }

// Unwrap returns ErrItem, so that callers can test with errors.Is.
func (e *ItemError) Unwrap() error { return ErrItem }

// ParseItem splits a request item at its first unescaped separator. At the
// same position the longer separator wins (":=" over ":", "==" over "="),
// as in HTTPie. A backslash escapes a separator character (or a backslash)
// in the key. A header value loses the spaces after the colon.
func ParseItem(s string) (Item, error) {
	var key strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && strings.IndexByte(`:=@;\`, s[i+1]) >= 0 {
			key.WriteByte(s[i+1])
			i++
			continue
		}
		rest := s[i:]
		var it Item
		switch {
		case strings.HasPrefix(rest, ":=@"):
			it = Item{JSONFile, key.String(), rest[3:]}
		case strings.HasPrefix(rest, ":="):
			it = Item{RawJSON, key.String(), rest[2:]}
		case strings.HasPrefix(rest, "=="):
			it = Item{Query, key.String(), rest[2:]}
		case strings.HasPrefix(rest, "=@"):
			it = Item{DataFile, key.String(), rest[2:]}
		case c == '=':
			it = Item{Data, key.String(), rest[1:]}
		case c == '@':
			it = Item{File, key.String(), rest[1:]}
		case c == ':':
			it = Item{Header, key.String(), strings.TrimLeft(rest[1:], " ")}
		case c == ';' && i == len(s)-1:
			it = Item{EmptyHeader, key.String(), ""}
		default:
			key.WriteByte(c)
			continue
		}
		if it.Key == "" && it.Kind != File {
			// "@file" alone is allowed: the raw body, from a file.
			return it, &ItemError{s, "empty name"}
		}
		if it.Kind == RawJSON && !json.Valid([]byte(it.Value)) {
			return it, &ItemError{s, fmt.Sprintf("%q is not JSON", it.Value)}
		}
		return it, nil
	}
	return Item{}, &ItemError{s, "want Header:Value, name==value, name=value, name:=json or name@file"}
}

// JSONObject encodes Data and RawJSON items as one JSON object, keys in the
// order given: HTTPie keeps that order, where encoding a Go map would sort
// the keys. Items of other kinds are skipped. A RawJSON value is copied as
// it is, so it must be valid JSON, as ParseItem ensures.
func JSONObject(items []Item) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for _, it := range items {
		if it.Kind != Data && it.Kind != RawJSON {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		k, _ := json.Marshal(it.Key)
		b.Write(k)
		b.WriteByte(':')
		if it.Kind == RawJSON {
			b.WriteString(it.Value)
		} else {
			v, _ := json.Marshal(it.Value)
			b.Write(v)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}
