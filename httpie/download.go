package httpie

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// DownloadName is the file name HTTPie saves a download under: the
// Content-Disposition filename, else the URL path's last segment (else
// "index"), with an extension from the Content-Type when it has none. It
// is reduced to a safe base name: no directories ("../x" is "x"), no
// leading dots, no control characters.
func DownloadName(contentDisposition, rawURL, contentType string) string {
	name := ""
	if _, params, err := mime.ParseMediaType(contentDisposition); err == nil {
		name = params["filename"]
	}
	if name == "" {
		if u, err := url.Parse(rawURL); err == nil {
			name = path.Base(strings.TrimRight(u.Path, "/"))
		}
		if name == "." || name == "/" {
			name = ""
		}
		if name == "" {
			name = "index"
		}
		if filepath.Ext(name) == "" {
			mt, _, _ := mime.ParseMediaType(contentType)
			if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
				name += preferredExt(mt, exts)
			}
		}
	}
	return safeName(name)
}

// preferredExt picks the usual extension of a media type among Go's.
func preferredExt(mt string, exts []string) string {
	switch mt {
	case "text/html":
		return ".html"
	case "application/json":
		return ".json"
	case "text/plain":
		return ".txt"
	case "image/jpeg":
		return ".jpg"
	}
	return exts[0]
}

func safeName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ".")
	if name == "" {
		name = "download"
	}
	if len(name) > 255 {
		name = name[:255]
	}
	return name
}

// UniquePath returns dir/name, or dir/name-1, dir/name-2, ... for the
// first that does not exist: a download never overwrites a file.
func UniquePath(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	for i := 1; i <= 1000; i++ {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			return p, nil
		}
		p = filepath.Join(dir, name+"-"+strconv.Itoa(i))
	}
	return "", fmt.Errorf("no free name for %s in %s", name, dir)
}

// ContentRangeStart reads where a 206 response's body starts, from its
// Content-Range ("bytes 100-199/200").
func ContentRangeStart(contentRange string) (int64, bool) {
	rest, ok := strings.CutPrefix(contentRange, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return n, err == nil && n >= 0
}
