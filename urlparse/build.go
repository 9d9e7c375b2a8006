package urlparse

import "strconv"

// BuildOptions are the keyword arguments of a Python build_api_url helper
// (scheme=, port=, fragment=).
// The zero value is its defaults.
type BuildOptions struct {
	// Scheme of the URL. Default "https".
	Scheme string
	// Port is appended to the host when not 0. Default 0: no port, as
	// Python's "if port" treats 0 and None alike.
	Port int
	// Fragment, sent as it is after "#" when not empty. Default "".
	Fragment string
}

// BuildAPIURL builds an API URL as a Python build_api_url(host, path,
// params, scheme=, port=, fragment=) helper does: the path escaped with Quote (keeping "/"), the
// parameters encoded with URLEncode and Doseq (a slice value becomes a
// repeated key), assembled with Unparse.
func BuildAPIURL(host, path string, params []Param, opt BuildOptions) string {
	scheme := opt.Scheme
	if scheme == "" {
		scheme = "https"
	}
	netloc := host
	if opt.Port != 0 {
		netloc = host + ":" + strconv.Itoa(opt.Port)
	}
	var query string
	if len(params) > 0 {
		query = URLEncode(params, EncodeOptions{Doseq: true})
	}
	return Unparse(scheme, netloc, Quote(path, QuoteDefaultSafe), "", query, opt.Fragment)
}
