package urlparse

import (
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQueryMethods(t *testing.T) {
	var q Query
	q.Add("b", "2")
	q.Add("a", "1")
	q.Add("b", "3")
	if got := q.Get("b"); got != "2" {
		t.Errorf("Get(b) = %q, want 2", got)
	}
	if got := q.Get("zz"); got != "" {
		t.Errorf("Get(zz) = %q, want empty", got)
	}
	if diff := cmp.Diff([]string{"2", "3"}, q.GetAll("b")); diff != "" {
		t.Errorf("GetAll(b) mismatch (-want +got):\n%s", diff)
	}
	if got := q.GetAll("zz"); got != nil {
		t.Errorf("GetAll(zz) = %q, want nil", got)
	}
	if got, want := q.Encode(), "b=2&a=1&b=3"; got != want {
		t.Errorf("Encode() = %q, want %q", got, want)
	}
	if diff := cmp.Diff(url.Values{"a": {"1"}, "b": {"2", "3"}}, q.Values()); diff != "" {
		t.Errorf("Values() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Query{{"a", "1"}, {"b", "2"}, {"b", "3"}}, FromValues(q.Values())); diff != "" {
		t.Errorf("FromValues mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Fields{{"b", []string{"2", "3"}}, {"a", []string{"1"}}}, q.Fields()); diff != "" {
		t.Errorf("Fields mismatch (-want +got):\n%s", diff)
	}
	q.Set("b", "9")
	if got, want := q.Encode(), "b=9&a=1"; got != want {
		t.Errorf("after Set: %q, want %q", got, want)
	}
	q.Set("c", "x y&z")
	if got, want := q.Encode(), "b=9&a=1&c=x+y%26z"; got != want {
		t.Errorf("after Set new: %q, want %q", got, want)
	}
	q.Del("a")
	if got, want := q.Encode(), "b=9&c=x+y%26z"; got != want {
		t.Errorf("after Del: %q, want %q", got, want)
	}
	if !q.Has("c") || q.Has("a") {
		t.Errorf("Has(c), Has(a) = %v, %v; want true, false", q.Has("c"), q.Has("a"))
	}
}

func TestQueryWithNetURL(t *testing.T) {
	u, err := url.Parse("https://example.com/x")
	if err != nil {
		t.Fatal(err)
	}
	q := Query{{"z", "1"}, {"a", "é ü"}}
	u.RawQuery = q.Encode()
	if got, want := u.String(), "https://example.com/x?z=1&a=%C3%A9+%C3%BC"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	back, err := ParseQSL(u.RawQuery, QueryOptions{})
	if err != nil || !cmp.Equal(back, q) {
		t.Errorf("ParseQSL(%q) = %v, %v; want %v", u.RawQuery, back, err, q)
	}
}

func TestParseQSL(t *testing.T) {
	tests := []struct {
		qs   string
		opt  QueryOptions
		want Query
		err  error
	}{
		{"q=python+sockets&page=2&lang=en&lang=fr", QueryOptions{}, Query{{"q", "python sockets"}, {"page", "2"}, {"lang", "en"}, {"lang", "fr"}}, nil},
		{"", QueryOptions{}, Query{}, nil},
		{"a=&b&&c=1", QueryOptions{}, Query{{"c", "1"}}, nil},
		{"a=&b&&c=1", QueryOptions{KeepBlank: true}, Query{{"a", ""}, {"b", ""}, {"c", "1"}}, nil},
		{"a=1&&b=2", QueryOptions{Strict: true}, nil, ErrBadQueryField},
		{"a=1&b", QueryOptions{Strict: true}, nil, ErrBadQueryField},
		{"a=1;b=2", QueryOptions{}, Query{{"a", "1;b=2"}}, nil},
		{"a=1;b=2", QueryOptions{Separator: ";"}, Query{{"a", "1"}, {"b", "2"}}, nil},
		{"a=1&b=2&c=3", QueryOptions{MaxNumFields: 2}, nil, ErrTooManyFields},
		{"a=1&b=2", QueryOptions{MaxNumFields: 2}, Query{{"a", "1"}, {"b", "2"}}, nil},
		{"a=b=c&%41=%zz", QueryOptions{}, Query{{"a", "b=c"}, {"A", "%zz"}}, nil},
	}
	for _, tt := range tests {
		got, err := ParseQSL(tt.qs, tt.opt)
		if !errors.Is(err, tt.err) || !cmp.Equal(got, tt.want) {
			t.Errorf("ParseQSL(%q, %+v) = %v, %v; want %v, %v", tt.qs, tt.opt, got, err, tt.want, tt.err)
		}
	}
	_, err := ParseQSL("a=1&b", QueryOptions{Strict: true})
	if got, want := err.Error(), "urlparse: bad query field: 'b'"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}
