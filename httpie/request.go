package httpie

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/urlparse"
)

// The Content-Types and Accepts HTTPie 3.2 sends.
const (
	ContentTypeJSON = "application/json"
	ContentTypeForm = "application/x-www-form-urlencoded; charset=utf-8"
	AcceptJSON      = "application/json, */*;q=0.5"
	AcceptAny       = "*/*"
)

// MaxFile bounds a file that an item reads (name@file, name=@file,
// name:=@file, @file): requests are built in memory.
const MaxFile = 64 << 20

// RequestOptions are what HTTPie's command line says of a request.
type RequestOptions struct {
	Method string // "" picks GET, or POST when there is a body
	URL    string
	Items  []string

	Form      bool   // --form: data items as a form, files as multipart
	Multipart bool   // --multipart: always multipart
	Boundary  string // --boundary

	// Raw, when set, is the whole body: --raw's text, or stdin. Items
	// that would make a body are then an error, as in HTTPie.
	Raw []byte

	// Chunked sends the body with chunked transfer coding (--chunked).
	Chunked bool

	// Compress deflates the body (--compress, -x): 1 when that makes it
	// smaller, 2 (-xx) always. The body gets Content-Encoding: deflate.
	Compress int

	// ReadFile reads an item's file; nil means os.ReadFile, bounded by
	// MaxFile.
	ReadFile func(path string) ([]byte, error)
}

// ErrBodyConflict is Build's error for a raw body (stdin, --raw, @file)
// given with data items.
var ErrBodyConflict = errors.New("request body from stdin, --raw or @file and data items at once: use one; --ignore-stdin leaves stdin alone")

// Build makes the request HTTPie would send for o.
func Build(o RequestOptions) (*httpclient.Request, error) {
	read := o.ReadFile
	if read == nil {
		read = readFileBounded
	}
	r := httpclient.NewRequest(o.Method, NormalizeURL(o.URL))
	r.Boundary = o.Boundary
	var data []Item // Data and RawJSON items, file contents read
	var files []httpclient.File
	raw, hasRaw := o.Raw, o.Raw != nil
	for _, s := range o.Items {
		it, err := ParseItem(s)
		if err != nil {
			return nil, err
		}
		switch it.Kind {
		case Header:
			r.Header.Add(it.Key, it.Value)
		case EmptyHeader:
			r.Header[http.CanonicalHeaderKey(it.Key)] = append(r.Header[http.CanonicalHeaderKey(it.Key)], "")
		case Query:
			r.Query.Add(it.Key, it.Value)
		case Data, RawJSON:
			data = append(data, it)
		case DataFile, JSONFile:
			b, err := read(it.Value)
			if err != nil {
				return nil, fmt.Errorf("item %q: %w", s, err)
			}
			if it.Kind == DataFile {
				data = append(data, Item{Kind: Data, Key: it.Key, Value: string(b)})
				continue
			}
			if _, err := parseJSON(string(b)); err != nil {
				return nil, fmt.Errorf("item %q: %s is not JSON: %w", s, it.Value, err)
			}
			data = append(data, Item{Kind: RawJSON, Key: it.Key, Value: string(b)})
		case File:
			if it.Key != "" && !o.Form && !o.Multipart {
				return nil, fmt.Errorf("file item %q needs --form or --multipart", s)
			}
			path, mimeType, _ := strings.Cut(it.Value, ";type=")
			b, err := read(path)
			if err != nil {
				return nil, fmt.Errorf("item %q: %w", s, err)
			}
			if mimeType == "" {
				mimeType = guessType(path)
			}
			files = append(files, httpclient.File{Field: it.Key, Name: filepath.Base(path), ContentType: mimeType, Data: b})
		}
	}
	// "@file" alone (an empty field name) is the raw body, from a file.
	if len(files) > 0 && files[0].Field == "" && len(files) == 1 && !o.Form && !o.Multipart {
		if hasRaw {
			return nil, ErrBodyConflict
		}
		raw, hasRaw = files[0].Data, true
		if r.Header.Get("Content-Type") == "" && files[0].ContentType != "" {
			r.Header.Set("Content-Type", files[0].ContentType)
		}
		files = nil
	}
	if hasRaw && (len(data) > 0 || len(files) > 0) {
		return nil, ErrBodyConflict
	}
	if len(files) > 0 && !o.Form && !o.Multipart {
		return nil, fmt.Errorf("file items need --form or --multipart")
	}
	switch {
	case hasRaw:
		r.Body = raw
		if len(raw) == 0 {
			r.Body = nil
		}
		// HTTPie takes a raw body for JSON unless told otherwise (--form,
		// a Content-Type, or a file's known type).
		switch {
		case o.Form:
			setDefault(r.Header, "Content-Type", ContentTypeForm)
		case !o.Multipart:
			setDefault(r.Header, "Content-Type", ContentTypeJSON)
			setDefault(r.Header, "Accept", AcceptJSON)
		}
	case o.Multipart || (o.Form && len(files) > 0):
		fields, err := formFields(data)
		if err != nil {
			return nil, err
		}
		if err := r.SetMultipart(fields, files); err != nil {
			return nil, err
		}
	case o.Form && len(data) > 0:
		fields, err := formFields(data)
		if err != nil {
			return nil, err
		}
		r.SetForm(fields)
		r.Header.Set("Content-Type", ContentTypeForm)
	case len(data) > 0:
		body, err := JSONBody(data)
		if err != nil {
			return nil, err
		}
		r.Body = body
		setDefault(r.Header, "Content-Type", ContentTypeJSON)
		setDefault(r.Header, "Accept", AcceptJSON)
	}
	setDefault(r.Header, "Accept", AcceptAny)
	if o.Compress > 0 && len(r.Body) > 0 {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(r.Body)
		w.Close()
		if z.Len() < len(r.Body) || o.Compress > 1 {
			r.Body = z.Bytes()
			r.Header.Set("Content-Encoding", "deflate")
		}
	}
	r.Chunked = o.Chunked
	if r.Method == "" {
		r.Method = http.MethodGet
		if r.Body != nil {
			r.Method = http.MethodPost
		}
	}
	return r, nil
}

func setDefault(h http.Header, key, value string) {
	if _, ok := h[http.CanonicalHeaderKey(key)]; !ok {
		h.Set(key, value)
	}
}

// formFields are the data items of a form; a JSON item cannot be one.
func formFields(data []Item) (urlparse.Query, error) {
	var q urlparse.Query
	for _, it := range data {
		if it.Kind == RawJSON {
			return nil, fmt.Errorf("raw JSON item %q cannot go in a form", it.Key)
		}
		q.Add(it.Key, it.Value)
	}
	return q, nil
}

// guessType is a file's media type from its extension, without
// parameters, as Python's mimetypes.guess_type gives it; "" when unknown.
func guessType(path string) string {
	t := mime.TypeByExtension(filepath.Ext(path))
	t, _, _ = strings.Cut(t, ";")
	return strings.TrimSpace(t)
}

func readFileBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFile {
		return nil, fmt.Errorf("%s is over %d MiB", path, MaxFile>>20)
	}
	return b, nil
}
