package urlparse

import (
	"net/url"
	"testing"
)

// benchURLs is a realistic corpus: API, web, redirect, database, IPv6 and
// userinfo URLs as they appear in logs and configuration.
var benchURLs = []string{
	"https://api.example.com:8443/v2/users?page=1&limit=20#results",
	"https://search.example.com/results?q=python+sockets&page=2&lang=en&lang=fr",
	"http://localhost:8080/search?q=python+sockets&tag=networking&tag=tutorial",
	"https://docs.example.com/api/Chapter%2017/overview#intro",
	"https://www.example.org/",
	"https://cdn.example.net/assets/js/app.3f9a1c.min.js",
	"https://accounts.example.com/o/oauth2/auth?client_id=abc123.apps&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=openid%20email&state=xyz",
	"postgresql://user:pass@db.local:5432/mydb?sslmode=require",
	"ftp://files.example.com/pub/data.csv",
	"http://[2001:db8::1]:8080/metrics",
	"https://en.wikipedia.org/wiki/Uniform_Resource_Identifier#Syntax",
	"https://shop.example.com/catalog/item;jsessionid=1A2B3C?id=42&ref=home",
	"http://user@internal.example.com/admin/reports/2024/q3.pdf",
	"https://example.com/a/b/c/d/e/f/g?x=1&y=2&z=3",
	"mailto:user@example.com",
	"file:///home/user/document.txt",
}

var sinkParse ParseResult

// BenchmarkParse parses the corpus with Parse; one op is one URL.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p, err := Parse(benchURLs[i%len(benchURLs)])
		if err != nil {
			b.Fatal(err)
		}
		sinkParse = p
	}
}

var sinkSplit SplitResult

// BenchmarkSplit parses the corpus with Split (no ;params).
func BenchmarkSplit(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s, err := Split(benchURLs[i%len(benchURLs)])
		if err != nil {
			b.Fatal(err)
		}
		sinkSplit = s
	}
}

var sinkURL *url.URL

// BenchmarkNetURLParse parses the same corpus with net/url.Parse.
func BenchmarkNetURLParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		u, err := url.Parse(benchURLs[i%len(benchURLs)])
		if err != nil {
			b.Fatal(err)
		}
		sinkURL = u
	}
}

// BenchmarkParseString parses and unparses (geturl) each URL.
func BenchmarkParseString(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p, _ := Parse(benchURLs[i%len(benchURLs)])
		sinkString = p.String()
	}
}

// BenchmarkNetURLString is net/url's parse and String.
func BenchmarkNetURLString(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		u, _ := url.Parse(benchURLs[i%len(benchURLs)])
		sinkString = u.String()
	}
}

var sinkString string

// BenchmarkJoin resolves a relative reference.
func BenchmarkJoin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkString, _ = Join("https://api.example.com/v2/users/", "../v1/legacy?x=1")
	}
}

// BenchmarkNetURLResolve is net/url's ResolveReference on the same pair.
func BenchmarkNetURLResolve(b *testing.B) {
	b.ReportAllocs()
	base, _ := url.Parse("https://api.example.com/v2/users/")
	for b.Loop() {
		ref, _ := url.Parse("../v1/legacy?x=1")
		sinkString = base.ResolveReference(ref).String()
	}
}

var sinkQuery Query

// BenchmarkParseQSL parses a typical query string.
func BenchmarkParseQSL(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkQuery, _ = ParseQSL("q=python+sockets&page=2&lang=en&lang=fr&redirect=https%3A%2F%2Fx%2F", QueryOptions{})
	}
}

var sinkValues url.Values

// BenchmarkNetURLParseQuery is net/url's ParseQuery on the same query.
func BenchmarkNetURLParseQuery(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkValues, _ = url.ParseQuery("q=python+sockets&page=2&lang=en&lang=fr&redirect=https%3A%2F%2Fx%2F")
	}
}

// BenchmarkQuote escapes a path with spaces and non-ASCII text.
func BenchmarkQuote(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkString = Quote("/users/John Doe/café résumé & more", QuoteDefaultSafe)
	}
}

// BenchmarkNetURLPathEscape is net/url's PathEscape on the same text.
func BenchmarkNetURLPathEscape(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkString = url.PathEscape("/users/John Doe/café résumé & more")
	}
}
