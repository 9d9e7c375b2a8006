package httpie

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// This file is the JSON of Python's json module, which HTTPie reads and
// writes: values that keep the order of an object's keys, as Python's
// dict does, and their text as json.dumps writes it, to send (compact,
// ASCII only) and to show (indented by 4, keys sorted). The display form
// lives here, beside the sent one, because both rest on the same model
// and the same rendering of numbers and strings.

// A node is a JSON value that keeps the order of an object's keys, as
// Python's dict does: HTTPie builds its body in one.
type node struct {
	kind byte             // 'o' object, 'a' array, 's' string, 'r' number, true, false or null (raw)
	keys []string         // an object's keys, in order
	obj  map[string]*node // an object's members
	arr  []*node          // an array's elements
	str  string           // a string's value
	raw  string           // a number's literal, or true, false, null
}

func newObject() *node { return &node{kind: 'o', obj: map[string]*node{}} }

func (n *node) typeName() string {
	switch n.kind {
	case 'o':
		return "object"
	case 'a':
		return "array"
	case 's':
		return "string"
	}
	switch n.raw {
	case "true", "false":
		return "boolean"
	case "null":
		return "null"
	}
	return "number"
}

func (n *node) set(key string, v *node) {
	if _, ok := n.obj[key]; !ok {
		n.keys = append(n.keys, key)
	}
	n.obj[key] = v
}

// MaxJSONDepth bounds the nesting parseJSON follows: a response body of
// a million "[" would otherwise recurse a million frames deep.
const MaxJSONDepth = 1000

var errTooDeep = fmt.Errorf("JSON nested deeper than %d", MaxJSONDepth)

// parseJSON reads valid JSON into a node, keeping key order.
func parseJSON(s string) (*node, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	n, err := decodeNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return n, nil
}

func decodeNode(dec *json.Decoder, depth int) (*node, error) {
	if depth > MaxJSONDepth {
		return nil, errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			n := newObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.set(kt.(string), v)
			}
			_, err := dec.Token() // }
			return n, err
		}
		n := &node{kind: 'a'}
		for dec.More() {
			v, err := decodeNode(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.arr = append(n.arr, v)
		}
		_, err := dec.Token() // ]
		return n, err
	case string:
		return &node{kind: 's', str: t}, nil
	case json.Number:
		return &node{kind: 'r', raw: string(t)}, nil
	case bool:
		return &node{kind: 'r', raw: strconv.FormatBool(t)}, nil
	case nil:
		return &node{kind: 'r', raw: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// encodePython writes n as Python's json.dumps does by default: ", " and
// ": " between items, non-ASCII characters escaped, floats in Python's
// shortest form. HTTPie sends its JSON bodies so, and netkit sends the
// same bytes.
func encodePython(b *bytes.Buffer, n *node) {
	switch n.kind {
	case 'o':
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			pyString(b, k)
			b.WriteString(": ")
			encodePython(b, n.obj[k])
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, e := range n.arr {
			if i > 0 {
				b.WriteString(", ")
			}
			encodePython(b, e)
		}
		b.WriteByte(']')
	case 's':
		pyString(b, n.str)
	default:
		b.WriteString(pyNumber(n.raw))
	}
}

// pyNumber is a JSON number as Python re-encodes it: an integer as it is
// (but -0 as 0), any other as the shortest float repr.
func pyNumber(raw string) string {
	if raw == "true" || raw == "false" || raw == "null" {
		return raw
	}
	if !strings.ContainsAny(raw, ".eE") {
		if strings.TrimLeft(raw, "-0") == "" {
			return "0"
		}
		return raw
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsInf(f, 0) {
		// Python reads an out-of-range literal as inf and writes Infinity.
		if strings.HasPrefix(raw, "-") {
			return "-Infinity"
		}
		return "Infinity"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	// Python's repr switches to exponent form below 1e-4 and from 1e16;
	// its exponent form is Go's shortest 'e' form.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	_, ex, _ := strings.Cut(e, "e")
	if exp, _ := strconv.Atoi(ex); exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyString writes s as a JSON string with Python's ensure_ascii escapes.
func pyString(b *bytes.Buffer, s string) { jsonString(b, s, true) }

// jsonString writes s as Python's json.dumps does: quotes, backslashes
// and control characters escaped, and with ensureASCII every character
// but printable ASCII as \uXXXX (UTF-16 surrogate pairs beyond the
// BMP; invalid UTF-8 reads as U+FFFD).
func jsonString(b *bytes.Buffer, s string, ensureASCII bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || ensureASCII && r >= 0x7f && r < 0x10000:
			fmt.Fprintf(b, `\u%04x`, r)
		case ensureASCII && r >= 0x10000:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// FormatJSON re-encodes valid JSON as HTTPie shows it on a terminal:
// Python's json.dumps with indent=4, keys sorted unless unsorted is set,
// non-ASCII characters as they are. ok is false for data that is not
// JSON.
func FormatJSON(data []byte, unsorted bool) (string, bool) {
	n, err := parseJSON(string(data))
	if err != nil {
		return "", false
	}
	var b bytes.Buffer
	writeIndented(&b, n, 0, !unsorted)
	return b.String(), true
}

func writeIndented(b *bytes.Buffer, n *node, depth int, sortKeys bool) {
	pad := func(d int) {
		b.WriteByte('\n')
		for range d * 4 {
			b.WriteByte(' ')
		}
	}
	switch n.kind {
	case 'o':
		if len(n.keys) == 0 {
			b.WriteString("{}")
			return
		}
		keys := n.keys
		if sortKeys {
			keys = append([]string(nil), keys...)
			sort.Strings(keys)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			pad(depth + 1)
			displayString(b, k)
			b.WriteString(": ")
			writeIndented(b, n.obj[k], depth+1, sortKeys)
		}
		pad(depth)
		b.WriteByte('}')
	case 'a':
		if len(n.arr) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range n.arr {
			if i > 0 {
				b.WriteByte(',')
			}
			pad(depth + 1)
			writeIndented(b, e, depth+1, sortKeys)
		}
		pad(depth)
		b.WriteByte(']')
	case 's':
		displayString(b, n.str)
	default:
		b.WriteString(pyNumber(n.raw))
	}
}

// displayString writes s as json.dumps does with ensure_ascii=False.
func displayString(b *bytes.Buffer, s string) { jsonString(b, s, false) }
