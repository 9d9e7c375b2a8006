// Package httpie implements the command-line request language of HTTPie
// (https://httpie.io/docs/cli/request-items): the optional method word, URL
// shorthands, and request items such as Header:Value, name==value,
// name=value, name:=json and name@file.
//
// The package parses and encodes; sending the request is httpclient's job.
package httpie
