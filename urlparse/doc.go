// Package urlparse parses, builds and joins URLs with the exact semantics of Python's urllib.parse.
//
// Every function reproduces CPython 3.11's urllib.parse string for string:
// Split and Parse are urlsplit and urlparse (with ;params), Join is urljoin,
// Quote, QuotePlus, Unquote and UnquotePlus are their namesakes with the same
// default safe sets, ParseQSL and ParseQS parse query strings with the same
// options, and Query keeps parameters in order with repeated keys, which
// net/url's Values (a map whose Encode sorts keys) cannot do. A conformance
// test replays a golden file of CPython's own outputs against this package.
//
// Python works on str (code points) and Go on string (bytes). Where the two
// differ, the Go side follows what Python does on the UTF-8 encoding of the
// text: non-ASCII characters are percent-encoded as their UTF-8 bytes, and
// invalid UTF-8 (which a Python str cannot hold) is passed through or
// percent-encoded byte by byte.
package urlparse
