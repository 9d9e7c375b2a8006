package httpclient

import (
	"fmt"
	"mime"
	"strings"
)

// ContentType is a parsed Content-Type header (RFC 9110, section 8.3).
type ContentType struct {
	MediaType string            // type/subtype in lower case, "" when the header is absent
	Charset   string            // the charset parameter as sent, "" when absent
	Boundary  string            // the multipart boundary, "" when absent
	Params    map[string]string // all parameters, names in lower case
}

// ParseContentType parses a Content-Type header with mime.ParseMediaType,
// so quoted parameter values and upper-case names are handled, unlike a
// plain split on ";". An empty header gives the zero ContentType.
func ParseContentType(header string) (ContentType, error) {
	if strings.TrimSpace(header) == "" {
		return ContentType{}, nil
	}
	mt, params, err := mime.ParseMediaType(header)
	if err != nil {
		return ContentType{}, fmt.Errorf("httpclient: content type %q: %w", header, err)
	}
	// mime accepts a bare token; RFC 9110, 8.3.1, wants type "/" subtype.
	if i := strings.IndexByte(mt, '/'); i <= 0 || i == len(mt)-1 {
		return ContentType{}, fmt.Errorf("httpclient: content type %q: media type is not type/subtype", header)
	}
	// mime decodes an RFC 2231 continuation with no name ("*0=x") into a
	// parameter named "", which is no token and cannot be formatted again.
	delete(params, "")
	return ContentType{MediaType: mt, Charset: params["charset"], Boundary: params["boundary"], Params: params}, nil
}

// IsJSON reports whether the media type is JSON: application/json, and any
// structured syntax suffix +json (RFC 6839), application/ld+json among them.
func (ct ContentType) IsJSON() bool {
	return ct.MediaType == "application/json" ||
		(strings.HasSuffix(ct.MediaType, "+json") && strings.Contains(ct.MediaType, "/"))
}

// IsText reports whether the media type is text/*.
func (ct ContentType) IsText() bool { return strings.HasPrefix(ct.MediaType, "text/") }

// EffectiveCharset returns the charset to decode the body with: the charset
// parameter, else UTF-8 for JSON (RFC 8259, section 8.1), else ISO-8859-1
// for text/* (the RFC 2616 default), else UTF-8. A
// byte-order mark in the body overrides it (see DecodeText).
func (ct ContentType) EffectiveCharset() string {
	switch {
	case ct.Charset != "":
		return ct.Charset
	case ct.IsJSON():
		return "utf-8"
	case ct.IsText():
		return "iso-8859-1"
	}
	return "utf-8"
}

// String formats the content type back into a header value.
func (ct ContentType) String() string {
	if ct.MediaType == "" {
		return ""
	}
	return mime.FormatMediaType(ct.MediaType, ct.Params)
}
