package urlparse

import (
	"errors"
	"net/url"
	"testing"
)

func TestURLConversion(t *testing.T) {
	for _, raw := range []string{
		"https://user:pa%20ss@api.example.com:8443/v2/a%20b?x=1&y=%26#frag%20x",
		"mailto:user@example.com",
		"http://[::1]:80/",
		"file:///home/user/document.txt",
	} {
		s, err := Split(raw)
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.URL()
		if err != nil {
			t.Fatalf("Split(%q).URL() error %v", raw, err)
		}
		if got := u.String(); got != raw {
			t.Errorf("Split(%q).URL().String() = %q", raw, got)
		}
		if got := FromURL(u); got != s {
			t.Errorf("FromURL(url.Parse(%q)) = %+v, want %+v", raw, got, s)
		}
	}
	if _, err := (SplitResult{Scheme: "http", Netloc: "a b"}).URL(); err == nil {
		t.Error("URL() of a netloc with a space: no error; net/url rejects it")
	}
}

func TestURLEncodeMap(t *testing.T) {
	got := URLEncodeMap(map[string]any{"z": 1, "a": []string{"x", "y"}, "m": nil}, EncodeOptions{Doseq: true})
	if want := "a=x&a=y&m=None&z=1"; got != want {
		t.Errorf("URLEncodeMap = %q, want %q", got, want)
	}
	got = URLEncodeMap(url.Values{"b": {"1", "2"}, "a": {"x y"}}, EncodeOptions{})
	if want := "a=%5B%27x+y%27%5D&b=%5B%271%27%2C+%272%27%5D"; got != want {
		t.Errorf("URLEncodeMap(url.Values) = %q, want %q", got, want)
	}
}

func TestStr(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{uint8(7), "7"},
		{int32(-3), "-3"},
		{float32(0.5), "0.5"},
		{1e100, "1e+100"},
		{123.0, "123.0"},
		{1e-7, "1e-07"},
		{[]byte("it's"), `b"it's"`},
		{map[string]int{"b": 2, "a": 1}, "{'a': 1, 'b': 2}"},
		{Tuple{}, "()"},
		{[]any{"a", Tuple{1}, nil, 2.0}, "['a', (1,), None, 2.0]"},
		{Dict{{"k", []int{1}}}, "{'k': [1]}"},
		{(*int)(nil), "None"},
	}
	for _, tt := range tests {
		if got := PyStr(tt.in); got != tt.want {
			t.Errorf("PyStr(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	_, err := Parse("http://[::1/")
	var e *Error
	if !errors.As(err, &e) || e.Op != "parse" || e.URL != "http://[::1/" || !errors.Is(err, ErrInvalidIPv6) {
		t.Errorf("Parse error = %#v, want *Error{parse, ErrInvalidIPv6}", err)
	}
	_, err = Join("http://a/", "//[192.0.2.1]/")
	if !errors.As(err, &e) || e.Op != "join" || !errors.Is(err, ErrInvalidHost) {
		t.Errorf("Join error = %v, want *Error{join, ErrInvalidHost}", err)
	}
	_, err = Split("http://ex\u2100ample.com/")
	if !errors.Is(err, ErrNetlocNFKC) {
		t.Errorf("Split NFKC error = %v", err)
	}
	s, _ := Split("http://h:65536/")
	_, _, err = s.Port()
	var pe *PortError
	if !errors.As(err, &pe) || pe.Port != "65536" || !errors.Is(err, ErrPortRange) {
		t.Errorf("Port error = %v, want *PortError{65536, ErrPortRange}", err)
	}
}
