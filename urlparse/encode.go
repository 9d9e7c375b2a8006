package urlparse

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Param is one parameter of URLEncode: a key and a value of any type, which
// is formatted as Python formats it (see PyStr).
type Param struct {
	Key, Value any
}

// Tuple is a Python tuple: it formats as "(1, 'a')" and, with Doseq, counts
// as a sequence like a slice.
type Tuple []any

// Dict is a Python dict with its keys in insertion order: it formats as
// "{'k': 'v'}" and, with Doseq, is a sequence of its keys, as iterating a
// dict is in Python. A Go map formats the same way with its keys sorted.
type Dict []Param

// EncodeOptions are the optional arguments of Python's urlencode. The zero
// value is Python's defaults.
type EncodeOptions struct {
	// Doseq sends each element of a sequence value (a slice or array other
	// than []byte, a Tuple, a Dict or a map) as its own key=element
	// parameter. Default false: the value is formatted as Python's str()
	// of the sequence, "['a', 'b']".
	Doseq bool
	// Safe is passed to QuoteVia for every key and value. Default "".
	Safe string
	// QuoteVia escapes keys and values. Default QuotePlus; Quote gives
	// %20 for spaces.
	QuoteVia func(s, safe string) string
}

// URLEncode is Python's urlencode(pairs, doseq, safe, quote_via=...): each
// key and value formatted with PyStr (a []byte as its raw bytes), escaped
// with opt.QuoteVia, joined as key=value by "&" in the order of params.
func URLEncode(params []Param, opt EncodeOptions) string {
	quote := opt.QuoteVia
	if quote == nil {
		quote = QuotePlus
	}
	enc := func(v any) string {
		if b, ok := v.([]byte); ok {
			return quote(string(b), opt.Safe)
		}
		return quote(PyStr(v), opt.Safe)
	}
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	for _, p := range params {
		k := enc(p.Key)
		if !opt.Doseq {
			add(k, enc(p.Value))
			continue
		}
		elems, ok := sequence(p.Value)
		if !ok {
			add(k, enc(p.Value))
			continue
		}
		for _, e := range elems {
			add(k, enc(e))
		}
	}
	return b.String()
}

// URLEncodeMap is URLEncode for a map, with the keys sorted since a Go map
// has no order (a Python dict keeps insertion order: use URLEncode with
// params in that order to match it).
func URLEncodeMap[M ~map[K]V, K cmp.Ordered, V any](m M, opt EncodeOptions) string {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	params := make([]Param, len(keys))
	for i, k := range keys {
		params[i] = Param{k, m[k]}
	}
	return URLEncode(params, opt)
}

// sequence returns the elements urlencode iterates over with doseq=True:
// those of anything with a len() other than str and bytes.
func sequence(v any) ([]any, bool) {
	switch s := v.(type) {
	case string, []byte, nil:
		return nil, false
	case []any:
		return s, true
	case []string:
		out := make([]any, len(s))
		for i, e := range s {
			out[i] = e
		}
		return out, true
	case Tuple:
		return s, true
	case Dict:
		out := make([]any, len(s))
		for i, p := range s {
			out[i] = p.Key
		}
		return out, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out, true
	case reflect.Map:
		keys := sortedKeys(rv)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k.Interface()
		}
		return out, true
	}
	return nil, false
}

func sortedKeys(m reflect.Value) []reflect.Value {
	keys := m.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int {
		return strings.Compare(fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))
	})
	return keys
}

// PyStr formats v as Python's str() does, which is how urlencode turns a
// non-string key or value into text: integers in decimal, floats in their
// shortest round-trip form ("1.0", "0.1", "1e+16", "inf"), booleans as True
// and False, nil as None, []byte as "b'...'", slices as "[1, 'a']", a Tuple
// as "(1,)", a Dict or map as "{'k': 1}" (elements inside containers in their
// repr() form), a fmt.Stringer by its String method.
func PyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case fmt.Stringer:
		if _, isBig := v.(*big.Int); !isBig {
			return x.String()
		}
	}
	return PyRepr(v)
}

// PyRepr formats v as Python's repr(): a string in quotes with Python's
// escapes (PyRepr("it's") is the text "it's" in double quotes), other values
// as PyStr formats them.
func PyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return pyRepr(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return floatRepr(x)
	case float32:
		return floatRepr(float64(x))
	case []byte:
		return bytesRepr(x)
	case *big.Int:
		return x.String()
	case Tuple:
		if len(x) == 1 {
			return "(" + PyRepr(x[0]) + ",)"
		}
		return "(" + joinRepr(x) + ")"
	case Dict:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = PyRepr(p.Key) + ": " + PyRepr(p.Value)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return floatRepr(rv.Float())
	case reflect.Bool:
		return PyRepr(rv.Bool())
	case reflect.String:
		return pyRepr(rv.String())
	case reflect.Slice, reflect.Array:
		elems, _ := sequence(v)
		return "[" + joinRepr(elems) + "]"
	case reflect.Map:
		keys := sortedKeys(rv)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = PyRepr(k.Interface()) + ": " + PyRepr(rv.MapIndex(k).Interface())
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return "None"
		}
		return PyRepr(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}

func joinRepr(elems []any) string {
	parts := make([]string, len(elems))
	for i, e := range elems {
		parts[i] = PyRepr(e)
	}
	return strings.Join(parts, ", ")
}

// floatRepr is Python's PyRepr(float): the shortest digits that round-trip,
// in positional form when the decimal exponent is in [-4, 16) (with ".0"
// for integral values), otherwise as d.ddde+XX with at least two exponent
// digits.
func floatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	mant, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if -4 <= exp && exp < 16 {
		if exp >= 0 {
			if len(digits) <= exp+1 {
				out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
			} else {
				out = digits[:exp+1] + "." + digits[exp+1:]
			}
		} else {
			out = "0." + strings.Repeat("0", -exp-1) + digits
		}
	} else {
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		out += "e" + sign + fmt.Sprintf("%02d", exp)
	}
	if neg {
		out = "-" + out
	}
	return out
}

// bytesRepr is Python's PyRepr(bytes): b'...' with printable ASCII as it is.
func bytesRepr(p []byte) string {
	q := byte('\'')
	if slices.Contains(p, '\'') && !slices.Contains(p, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteString("b")
	b.WriteByte(q)
	for _, c := range p {
		switch {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < ' ' || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}
