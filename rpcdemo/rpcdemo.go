// Package rpcdemo provides the demonstration methods that netkit serve
// offers over JSON-RPC: add, greet and echo.
//
// Their results are those a Python server of the same methods gives for
// the same inputs: add's integers are exact at any size, up to Python's
// limit of 4300 digits, and absent params take Python's dict.get
// defaults.
package rpcdemo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"strings"

	"github.com/netkit-dev/netkit/jsonrpc"
)

// Register registers add, greet and echo on s, all three Inline (they
// answer at once from their params):
//
//	add    {"a": 10, "b": 32}       -> 42 (a and b default to 0; integers up to 4300 digits, Python's limit)
//	greet  {"name": "Python"}       -> "Hello, Python!" (name defaults to World)
//	echo   {"data": [1, 2, 3], ...} -> the params as sent ({} when absent)
//
// Positional params work too: add [10, 32], greet ["Go"].
func Register(s *jsonrpc.Server) {
	jsonrpc.Register(s, "add", Add, jsonrpc.Inline())
	jsonrpc.Register(s, "greet", Greet, jsonrpc.Inline())
	jsonrpc.Register(s, "echo", Echo, jsonrpc.Inline())
}

// invalidParams is the error of a params value add cannot use.
func invalidParams(data string) *jsonrpc.Error {
	return jsonrpc.NewError(jsonrpc.CodeInvalidParams, "Invalid params", data)
}

// firstByte returns the first byte of b that is not JSON whitespace, or 0.
func firstByte(b []byte) byte {
	if b = bytes.TrimLeft(b, " \t\r\n"); len(b) > 0 {
		return b[0]
	}
	return 0
}

// maxAddDigits bounds the length of add's operands: Python's default
// limit on integer string conversion (sys.int_info.default_max_str_digits),
// to which a Python server of the same methods is subject.
const maxAddDigits = 4300

// AddParams are the params of add: two numbers, a and b, by name or by
// position.
type AddParams struct {
	A json.Number `json:"a"`
	B json.Number `json:"b"`
}

// DecodeParams implements jsonrpc.ParamsDecoder: it reads a and b without
// encoding/json's reflection, keeping each number's text exactly.
func (p *AddParams) DecodeParams(raw json.RawMessage) error {
	var err error
	names := [...]string{"a", "b"}
	if e := jsonrpc.DecodeFields(raw, names[:], func(i int, v json.RawMessage) {
		if c := firstByte(v); c != '-' && (c < '0' || c > '9') {
			if err == nil && string(v) != "null" {
				err = errors.New(names[i] + ": not a number: " + string(v))
			}
			return
		}
		if i == 0 {
			p.A = json.Number(v)
		} else {
			p.B = json.Number(v)
		}
	}); e != nil {
		return e
	}
	return err
}

// Add returns a + b, missing operands counting as 0, as Python's
// params.get("a", 0) + params.get("b", 0) does. Integers add exactly at any
// size, as Python's do; any other number makes the sum a float.
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
	if len(strings.TrimPrefix(a, "-")) > maxAddDigits || len(strings.TrimPrefix(b, "-")) > maxAddDigits {
		// Decimal conversion of big integers costs time quadratic in their
		// length, and a call's timeout cannot interrupt it: 3 MB of digits
		// took 13 s of CPU. Python refuses such numbers too (json.loads
		// raises ValueError above sys.int_info.default_max_str_digits).
		return nil, invalidParams("numbers are limited to " + strconv.Itoa(maxAddDigits) + " digits")
	}
	x, okx := new(big.Int).SetString(a, 10)
	y, oky := new(big.Int).SetString(b, 10)
	if okx && oky {
		return json.RawMessage(x.Add(x, y).String()), nil
	}
	fx, err := strconv.ParseFloat(a, 64)
	if err != nil {
		return nil, invalidParams("a: " + err.Error())
	}
	fy, err := strconv.ParseFloat(b, 64)
	if err != nil {
		return nil, invalidParams("b: " + err.Error())
	}
	return json.Marshal(fx + fy)
}

// GreetParams are the params of greet: a name, by name or by position.
type GreetParams struct {
	Name json.RawMessage `json:"name"`
}

// DecodeParams implements jsonrpc.ParamsDecoder.
func (p *GreetParams) DecodeParams(raw json.RawMessage) error {
	return jsonrpc.DecodeFields(raw, []string{"name"}, func(_ int, v json.RawMessage) { p.Name = v })
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

// Echo returns its params unchanged, {} when absent.
func Echo(_ context.Context, params json.RawMessage) (json.RawMessage, error) {
	if params == nil {
		return json.RawMessage("{}"), nil
	}
	return params, nil
}
