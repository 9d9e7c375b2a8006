package urlparse

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Pair is one key=value parameter of a query string.
type Pair struct{ Key, Value string }

// Query is an ordered list of query parameters in which a key may repeat:
// Python's parse_qsl result and urlencode input. Unlike url.Values, it keeps
// the order parameters were added in, which request signing schemes and
// servers that read "the first value" depend on.
type Query []Pair

// Add appends the parameter key=value.
func (q *Query) Add(key, value string) {
	*q = append(*q, Pair{key, value})
}

// Set replaces the value of the first parameter named key and removes the
// others of that name, keeping its position; it appends key=value when the
// key is absent.
func (q *Query) Set(key, value string) {
	i := slices.IndexFunc(*q, func(p Pair) bool { return p.Key == key })
	if i < 0 {
		q.Add(key, value)
		return
	}
	(*q)[i].Value = value
	rest := slices.DeleteFunc((*q)[i+1:], func(p Pair) bool { return p.Key == key })
	*q = (*q)[:i+1+len(rest)]
}

// Del removes every parameter named key.
func (q *Query) Del(key string) {
	*q = slices.DeleteFunc(*q, func(p Pair) bool { return p.Key == key })
}

// Get returns the value of the first parameter named key, or "" if none.
func (q Query) Get(key string) string {
	for _, p := range q {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

// Has reports whether a parameter named key is present.
func (q Query) Has(key string) bool {
	return slices.ContainsFunc(q, func(p Pair) bool { return p.Key == key })
}

// GetAll returns the values of every parameter named key, in order, or nil.
func (q Query) GetAll(key string) []string {
	var vs []string
	for _, p := range q {
		if p.Key == key {
			vs = append(vs, p.Value)
		}
	}
	return vs
}

// Encode returns Python's urlencode(pairs): key=value joined by "&" in the
// order of q, each side escaped with QuotePlus and an empty safe set.
func (q Query) Encode() string {
	var b strings.Builder
	for i, p := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(QuotePlus(p.Key, ""))
		b.WriteByte('=')
		b.WriteString(QuotePlus(p.Value, ""))
	}
	return b.String()
}

// String returns q.Encode().
func (q Query) String() string { return q.Encode() }

// Values returns q as net/url's Values. The values of each key keep their
// order; the order between keys is lost, since Values is a map.
func (q Query) Values() url.Values {
	v := make(url.Values, len(q))
	for _, p := range q {
		v[p.Key] = append(v[p.Key], p.Value)
	}
	return v
}

// Fields groups q by key as Python's parse_qs does: each key once, in order
// of first appearance, with all its values in order.
func (q Query) Fields() Fields {
	var fs Fields
	index := make(map[string]int, len(q))
	for _, p := range q {
		if i, ok := index[p.Key]; ok {
			fs[i].Values = append(fs[i].Values, p.Value)
			continue
		}
		index[p.Key] = len(fs)
		fs = append(fs, Field{Key: p.Key, Values: []string{p.Value}})
	}
	return fs
}

// FromValues converts net/url's Values to a Query. A map has no order, so
// keys are sorted (as url.Values.Encode sorts them); each key's values keep
// their order.
func FromValues(v url.Values) Query {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	q := make(Query, 0, len(v))
	for _, k := range keys {
		for _, val := range v[k] {
			q = append(q, Pair{k, val})
		}
	}
	return q
}

// Field is one key of a parse_qs result with all its values.
type Field struct {
	Key    string
	Values []string
}

// Fields is Python's parse_qs result: a dict of lists, which keeps its keys in
// order of first appearance.
type Fields []Field

// Get returns the values of key, or nil.
func (fs Fields) Get(key string) []string {
	for _, f := range fs {
		if f.Key == key {
			return f.Values
		}
	}
	return nil
}

// Values returns fs as net/url's Values.
func (fs Fields) Values() url.Values {
	v := make(url.Values, len(fs))
	for _, f := range fs {
		v[f.Key] = append(v[f.Key], f.Values...)
	}
	return v
}

// Errors of ParseQSL and ParseQS in strict mode or with a field limit.
var (
	// ErrTooManyFields reports more fields than QueryOptions.MaxNumFields
	// (Python: ValueError('Max number of fields exceeded')).
	ErrTooManyFields = errors.New("urlparse: max number of fields exceeded")
	// ErrBadQueryField reports an empty field or a field without "=" with
	// QueryOptions.Strict (Python: ValueError('bad query field: ...')).
	ErrBadQueryField = errors.New("urlparse: bad query field")
)

// QueryOptions are the options of Python's parse_qsl and parse_qs. The zero
// value is Python's defaults.
type QueryOptions struct {
	// KeepBlank keeps parameters with an empty value ("a=" and, without
	// "=", "a") as empty strings (keep_blank_values=True). Default: they
	// are dropped.
	KeepBlank bool
	// Strict makes an empty field or a field without "=" an error wrapping
	// ErrBadQueryField (strict_parsing=True). Default: ignored.
	Strict bool
	// MaxNumFields, when positive, makes a query with more fields than this
	// (counted as 1 + the number of separators) an error wrapping
	// ErrTooManyFields, before any parsing, which bounds the work and memory
	// an untrusted query can cost (max_num_fields). Default 0: no limit.
	MaxNumFields int
	// Separator splits fields (separator). Default "&". Python 3.10 and
	// later accept only one separator, so "a=1;b=2" is a single field.
	Separator string
}

// QueryError is the error of ParseQSL and ParseQS.
type QueryError struct {
	Field string // the offending field; "" for ErrTooManyFields
	Err   error  // ErrBadQueryField or ErrTooManyFields
}

// Error says which field of the query is malformed, and why.
func (e *QueryError) Error() string {
	if e.Err == ErrBadQueryField {
		return fmt.Sprintf("%v: %s", e.Err, pyRepr(e.Field))
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *QueryError) Unwrap() error { return e.Err }

// ParseQSL is Python's parse_qsl(qs, ...): the parameters of a query string
// in order, keys and values decoded with UnquotePlus.
func ParseQSL(qs string, opt QueryOptions) (Query, error) {
	sep := opt.Separator
	if sep == "" {
		sep = "&"
	}
	if opt.MaxNumFields > 0 && qs != "" {
		if n := 1 + strings.Count(qs, sep); n > opt.MaxNumFields {
			return nil, &QueryError{Err: ErrTooManyFields}
		}
	}
	if qs == "" {
		return Query{}, nil
	}
	q := Query{}
	for rest := qs; ; {
		field, tail, more := strings.Cut(rest, sep)
		rest = tail
		if field == "" && !opt.Strict {
			if !more {
				break
			}
			continue
		}
		name, value, hasEq := strings.Cut(field, "=")
		if !hasEq {
			if opt.Strict {
				return nil, &QueryError{Field: field, Err: ErrBadQueryField}
			}
			if !opt.KeepBlank {
				if !more {
					break
				}
				continue
			}
		}
		if value != "" || opt.KeepBlank {
			q = append(q, Pair{UnquotePlus(name), UnquotePlus(value)})
		}
		if !more {
			break
		}
	}
	return q, nil
}

// ParseQS is Python's parse_qs(qs, ...): ParseQSL grouped by key.
func ParseQS(qs string, opt QueryOptions) (Fields, error) {
	q, err := ParseQSL(qs, opt)
	if err != nil {
		return nil, err
	}
	return q.Fields(), nil
}
