package httpclient

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// ErrUnknownCharset is returned, wrapped with the charset's name, for a
// charset golang.org/x/text does not know.
var ErrUnknownCharset = errors.New("httpclient: unknown charset")

// byte-order marks, checked longest first; a BOM wins over the declared
// charset, as the WHATWG Encoding standard's decode algorithm says.
var boms = []struct {
	bom []byte
	enc encoding.Encoding
}{
	{[]byte{0xEF, 0xBB, 0xBF}, unicode.UTF8},
	{[]byte{0xFE, 0xFF}, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)},
	{[]byte{0xFF, 0xFE}, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
}

// DecodeText decodes body to a string: by its byte-order mark if it has one
// (the BOM is dropped), else by charset, "" meaning UTF-8. Any name that
// golang.org/x/text knows, by IANA registry or WHATWG label, decodes; an
// unknown one returns an error wrapping ErrUnknownCharset. Invalid byte
// sequences become U+FFFD.
func DecodeText(body []byte, charset string) (string, error) {
	for _, b := range boms {
		if bytes.HasPrefix(body, b.bom) {
			return decodeWith(b.enc, body[len(b.bom):])
		}
	}
	enc, err := LookupCharset(charset)
	if err != nil {
		return "", err
	}
	return decodeWith(enc, body)
}

// LookupCharset returns the encoding named charset, "" meaning UTF-8. IANA
// names come first, so "iso-8859-1" is ISO-8859-1 proper; WHATWG labels,
// which map it to windows-1252, are tried only for names IANA does not have.
func LookupCharset(charset string) (encoding.Encoding, error) {
	name := strings.ToLower(strings.TrimSpace(charset))
	if name == "" || name == "utf-8" || name == "utf8" {
		return unicode.UTF8, nil
	}
	if enc, err := ianaindex.IANA.Encoding(name); err == nil && enc != nil {
		return enc, nil
	}
	if enc, err := htmlindex.Get(name); err == nil {
		return enc, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownCharset, charset)
}

func decodeWith(enc encoding.Encoding, body []byte) (string, error) {
	if enc == unicode.UTF8 {
		if utf8.Valid(body) {
			return string(body), nil
		}
		return strings.ToValidUTF8(string(body), "\uFFFD"), nil
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return "", fmt.Errorf("httpclient: decoding body: %w", err)
	}
	return string(out), nil
}
