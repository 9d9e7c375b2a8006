package urlparse_test

import (
	"fmt"

	"github.com/netkit-dev/netkit/urlparse"
)

// Example_urlStructure shows the components of a URL, the round trip
// through Unparse, and URLs of other schemes.
func Example_urlStructure() {
	rawURL := "https://api.example.com:8443/v2/users?page=1&limit=20#results"
	parsed, err := urlparse.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	port, _, _ := parsed.Port()
	r := urlparse.PyRepr
	fmt.Printf("URL: %s\n", rawURL)
	fmt.Printf("\nParsed components:\n")
	fmt.Printf("  scheme:   %s\n", r(parsed.Scheme))
	fmt.Printf("  netloc:   %s\n", r(parsed.Netloc))
	fmt.Printf("  hostname: %s\n", r(parsed.Hostname()))
	fmt.Printf("  port:     %d\n", port)
	fmt.Printf("  path:     %s\n", r(parsed.Path))
	fmt.Printf("  params:   %s\n", r(parsed.Params))
	fmt.Printf("  query:    %s\n", r(parsed.Query))
	fmt.Printf("  fragment: %s\n", r(parsed.Fragment))

	reconstructed := urlparse.Unparse(parsed.Scheme, parsed.Netloc, parsed.Path, parsed.Params, parsed.Query, parsed.Fragment)
	fmt.Printf("\nReconstructed: %s\n", reconstructed)
	fmt.Printf("Round-trip OK: %s\n", urlparse.PyStr(rawURL == reconstructed))

	fmt.Println("\n=== Various URL Schemes ===")
	for _, u := range []string{
		"ftp://files.example.com/pub/data.csv",
		"mailto:user@example.com",
		"file:///home/user/document.txt",
		"postgresql://user:pass@db.local:5432/mydb",
	} {
		p, err := urlparse.Parse(u)
		if err != nil {
			panic(err)
		}
		fmt.Printf("  %s\n", u)
		fmt.Printf("    scheme=%s, netloc=%s, path=%s\n", r(p.Scheme), r(p.Netloc), r(p.Path))
	}
	// Output:
	// URL: https://api.example.com:8443/v2/users?page=1&limit=20#results
	//
	// Parsed components:
	//   scheme:   'https'
	//   netloc:   'api.example.com:8443'
	//   hostname: 'api.example.com'
	//   port:     8443
	//   path:     '/v2/users'
	//   params:   ''
	//   query:    'page=1&limit=20'
	//   fragment: 'results'
	//
	// Reconstructed: https://api.example.com:8443/v2/users?page=1&limit=20#results
	// Round-trip OK: True
	//
	// === Various URL Schemes ===
	//   ftp://files.example.com/pub/data.csv
	//     scheme='ftp', netloc='files.example.com', path='/pub/data.csv'
	//   mailto:user@example.com
	//     scheme='mailto', netloc='', path='user@example.com'
	//   file:///home/user/document.txt
	//     scheme='file', netloc='', path='/home/user/document.txt'
	//   postgresql://user:pass@db.local:5432/mydb
	//     scheme='postgresql', netloc='user:pass@db.local:5432', path='/mydb'
}

// Example_queryStrings parses and builds query strings: ParseQS keeps keys
// in order of first appearance, ParseQSL keeps every pair, and URLEncode
// builds a query from ordered parameters, with Doseq for repeated keys.
func Example_queryStrings() {
	u, err := urlparse.Parse("https://search.example.com/results?q=python+sockets&page=2&lang=en&lang=fr")
	if err != nil {
		panic(err)
	}
	r := urlparse.PyRepr
	fmt.Printf("Query string: %s\n", r(u.Query))

	fields, err := urlparse.ParseQS(u.Query, urlparse.QueryOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("\nparse_qs result:\n")
	for _, f := range fields {
		fmt.Printf("  %s: %s\n", r(f.Key), r(f.Values))
	}

	pairs, err := urlparse.ParseQSL(u.Query, urlparse.QueryOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("\nparse_qsl result:\n")
	for _, p := range pairs {
		fmt.Printf("  (%s, %s)\n", r(p.Key), r(p.Value))
	}

	fmt.Println("\n=== Building Query Strings ===")
	encoded := urlparse.URLEncode([]urlparse.Param{
		{Key: "q", Value: "python networking"},
		{Key: "page", Value: 1},
		{Key: "sort", Value: "relevance"},
	}, urlparse.EncodeOptions{})
	fmt.Printf("From dict: %s\n", encoded)

	encodedMulti := urlparse.URLEncode([]urlparse.Param{
		{Key: "tag", Value: []string{"python", "networking", "sockets"}},
		{Key: "status", Value: []string{"published"}},
	}, urlparse.EncodeOptions{Doseq: true})
	fmt.Printf("Multi-value: %s\n", encodedMulti)
	// Output:
	// Query string: 'q=python+sockets&page=2&lang=en&lang=fr'
	//
	// parse_qs result:
	//   'q': ['python sockets']
	//   'page': ['2']
	//   'lang': ['en', 'fr']
	//
	// parse_qsl result:
	//   ('q', 'python sockets')
	//   ('page', '2')
	//   ('lang', 'en')
	//   ('lang', 'fr')
	//
	// === Building Query Strings ===
	// From dict: q=python+networking&page=1&sort=relevance
	// Multi-value: tag=python&tag=networking&tag=sockets&status=published
}

// Example_quoting encodes and decodes URL text: Quote with Python's default
// safe "/" and with no safe characters, QuotePlus, Unicode text, and a safe
// URL built from escaped parts.
func Example_quoting() {
	r := urlparse.PyRepr
	rawPath := "/api/search/hello world & more"
	encodedPath := urlparse.Quote(rawPath, urlparse.QuoteDefaultSafe)
	fmt.Printf("Original:     %s\n", r(rawPath))
	fmt.Printf("quote():      %s\n", r(encodedPath))
	fmt.Printf("unquote():    %s\n", r(urlparse.Unquote(encodedPath)))

	fmt.Printf("\nquote(safe=''): %s\n", r(urlparse.Quote(rawPath, "")))

	fmt.Println("\n=== quote_plus vs quote ===")
	queryValue := "hello world & friends"
	fmt.Printf("Original:     %s\n", r(queryValue))
	fmt.Printf("quote():      %s\n", r(urlparse.Quote(queryValue, "")))
	fmt.Printf("quote_plus(): %s\n", r(urlparse.QuotePlus(queryValue, "")))

	fmt.Println("\n=== Unicode in URLs ===")
	unicodeText := "cafe\u0301 r\u00e9sum\u00e9"
	encodedUnicode := urlparse.Quote(unicodeText, urlparse.QuoteDefaultSafe)
	fmt.Printf("Original:  %s\n", r(unicodeText))
	fmt.Printf("Encoded:   %s\n", r(encodedUnicode))
	fmt.Printf("Decoded:   %s\n", r(urlparse.Unquote(encodedUnicode)))

	fmt.Println("\n=== Building a Safe URL ===")
	base := "https://api.example.com"
	path := urlparse.Quote("/users/John Doe/profile", urlparse.QuoteDefaultSafe)
	query := urlparse.QuotePlus("search term with spaces & symbols!", "")
	fmt.Printf("Safe URL: %s%s?q=%s\n", base, path, query)
	// Output:
	// Original:     '/api/search/hello world & more'
	// quote():      '/api/search/hello%20world%20%26%20more'
	// unquote():    '/api/search/hello world & more'
	//
	// quote(safe=''): '%2Fapi%2Fsearch%2Fhello%20world%20%26%20more'
	//
	// === quote_plus vs quote ===
	// Original:     'hello world & friends'
	// quote():      'hello%20world%20%26%20friends'
	// quote_plus(): 'hello+world+%26+friends'
	//
	// === Unicode in URLs ===
	// Original:  'café résumé'
	// Encoded:   'cafe%CC%81%20r%C3%A9sum%C3%A9'
	// Decoded:   'café résumé'
	//
	// === Building a Safe URL ===
	// Safe URL: https://api.example.com/users/John%20Doe/profile?q=search+term+with+spaces+%26+symbols%21
}

// Example_buildingURLs builds URLs from parts with BuildAPIURL (a Python
// build_api_url helper) and resolves relative ones with Join (urljoin).
func Example_buildingURLs() {
	fmt.Println("=== API URL Builder ===")
	url1 := urlparse.BuildAPIURL("api.example.com", "/v2/users",
		[]urlparse.Param{{Key: "page", Value: 1}, {Key: "limit", Value: 50}}, urlparse.BuildOptions{})
	fmt.Printf("  %s\n", url1)

	url2 := urlparse.BuildAPIURL("localhost", "/search",
		[]urlparse.Param{{Key: "q", Value: "python sockets"}, {Key: "tag", Value: []string{"networking", "tutorial"}}},
		urlparse.BuildOptions{Scheme: "http", Port: 8080})
	fmt.Printf("  %s\n", url2)

	url3 := urlparse.BuildAPIURL("docs.example.com", "/api/Chapter 17/overview", nil, urlparse.BuildOptions{Fragment: "intro"})
	fmt.Printf("  %s\n", url3)

	fmt.Println("\n=== urljoin for Relative URLs ===")
	baseURL := "https://api.example.com/v2/"
	for _, rel := range []string{"users", "users/123", "../v1/legacy", "/absolute/path"} {
		resolved, err := urlparse.Join(baseURL, rel)
		if err != nil {
			panic(err)
		}
		fmt.Printf("  urljoin(%s, %s)\n", urlparse.PyRepr(baseURL), urlparse.PyRepr(rel))
		fmt.Printf("    -> %s\n", resolved)
	}
	// Output:
	// === API URL Builder ===
	//   https://api.example.com/v2/users?page=1&limit=50
	//   http://localhost:8080/search?q=python+sockets&tag=networking&tag=tutorial
	//   https://docs.example.com/api/Chapter%2017/overview#intro
	//
	// === urljoin for Relative URLs ===
	//   urljoin('https://api.example.com/v2/', 'users')
	//     -> https://api.example.com/v2/users
	//   urljoin('https://api.example.com/v2/', 'users/123')
	//     -> https://api.example.com/v2/users/123
	//   urljoin('https://api.example.com/v2/', '../v1/legacy')
	//     -> https://api.example.com/v1/legacy
	//   urljoin('https://api.example.com/v2/', '/absolute/path')
	//     -> https://api.example.com/absolute/path
}

// ExampleQuery shows the ordered query type with net/url: order and
// repeated keys survive, which url.Values.Encode (sorted keys) loses.
func ExampleQuery() {
	var q urlparse.Query
	q.Add("z", "last letter")
	q.Add("a", "1")
	q.Add("z", "again")
	fmt.Println(q.Encode())
	fmt.Println(q.Values().Encode())
	fmt.Println(q.Get("z"), q.GetAll("z"))
	// Output:
	// z=last+letter&a=1&z=again
	// a=1&z=last+letter&z=again
	// last letter [last letter again]
}

// ExampleSplitResult_Port shows the port errors Python raises as ValueError.
func ExampleSplitResult_Port() {
	for _, u := range []string{"http://h:8080/", "http://h/", "http://h:http/", "http://h:70000/"} {
		s, _ := urlparse.Split(u)
		port, ok, err := s.Port()
		fmt.Println(port, ok, err)
	}
	// Output:
	// 8080 true <nil>
	// 0 false <nil>
	// 0 false urlparse: port could not be cast to integer value as 'http'
	// 0 false urlparse: port out of range 0-65535
}

// ExampleJoin resolves references from RFC 3986 section 5.4.
func ExampleJoin() {
	base := "http://a/b/c/d;p?q"
	for _, ref := range []string{"g", "../g", "?y", "#s", "../../../g", "//g", "g:h"} {
		u, _ := urlparse.Join(base, ref)
		fmt.Println(ref, "->", u)
	}
	// Output:
	// g -> http://a/b/c/g
	// ../g -> http://a/b/g
	// ?y -> http://a/b/c/d;p?y
	// #s -> http://a/b/c/d;p?q#s
	// ../../../g -> http://a/g
	// //g -> http://g
	// g:h -> g:h
}
