package jsonrpc

import (
	"context"
	"encoding/json"
	"math/big"
	"strconv"
)

// RegisterChapterMethods registers the async chapter's methods on s, with
// the chapter's results for the chapter's inputs:
//
//	add    {"a": 10, "b": 32}       -> 42 (a and b default to 0; integers of any size)
//	greet  {"name": "Python"}       -> "Hello, Python!" (name defaults to World)
//	echo   {"data": [1, 2, 3], ...} -> the params as sent ({} when absent)
//
// Positional params work too: add [10, 32], greet ["Go"].
func RegisterChapterMethods(s *Server) {
	Register(s, "add", Add)
	Register(s, "greet", Greet)
	Register(s, "echo", Echo)
}

// AddParams are the params of the chapter's add method.
type AddParams struct {
	A json.Number `json:"a"`
	B json.Number `json:"b"`
}

// Add returns a + b, missing operands counting as 0, as the chapter's
// params.get("a", 0) + params.get("b", 0). Integers add exactly at any size,
// as Python's do; any other number makes the sum a float.
func Add(_ context.Context, p AddParams) (json.RawMessage, error) {
	a, b := string(p.A), string(p.B)
	if a == "" {
		a = "0"
	}
	if b == "" {
		b = "0"
	}
	// The common case, without big.Int's allocations.
	if x, err := strconv.ParseInt(a, 10, 64); err == nil {
		if y, err := strconv.ParseInt(b, 10, 64); err == nil {
			if sum := x + y; (sum > x) == (y > 0) {
				return strconv.AppendInt(nil, sum, 10), nil
			}
		}
	}
	x, okx := new(big.Int).SetString(a, 10)
	y, oky := new(big.Int).SetString(b, 10)
	if okx && oky {
		return json.RawMessage(x.Add(x, y).String()), nil
	}
	fx, err := strconv.ParseFloat(a, 64)
	if err != nil {
		return nil, NewError(CodeInvalidParams, "Invalid params", "a: "+err.Error())
	}
	fy, err := strconv.ParseFloat(b, 64)
	if err != nil {
		return nil, NewError(CodeInvalidParams, "Invalid params", "b: "+err.Error())
	}
	return json.Marshal(fx + fy)
}

// GreetParams are the params of the chapter's greet method.
type GreetParams struct {
	Name json.RawMessage `json:"name"`
}

// Greet returns "Hello, NAME!", NAME defaulting to World; a name that is
// not a string is written as its JSON text.
func Greet(_ context.Context, p GreetParams) (string, error) {
	name := "World"
	if p.Name != nil {
		if json.Unmarshal(p.Name, &name) != nil {
			name = string(p.Name)
		}
	}
	return "Hello, " + name + "!", nil
}

// Echo returns its params unchanged ({} when absent, the chapter's
// default).
func Echo(_ context.Context, params json.RawMessage) (json.RawMessage, error) {
	if params == nil {
		return json.RawMessage("{}"), nil
	}
	return params, nil
}
