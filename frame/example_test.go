package frame_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/netkit-dev/netkit/frame"
)

// JSON messages framed as a Python peer's send_json and recv_json frame
// them: a 4-byte big-endian length, then the JSON payload, so JSON with
// newlines inside strings frames cleanly.
func Example() {
	var stream bytes.Buffer
	w := frame.NewWriter(&stream, 0)
	w.WriteFrame([]byte(`{"id": 1, "method": "add", "params": {"a": 10, "b": 32}}`))
	w.WriteFrame([]byte(`{"text": "two\nlines"}`))
	fmt.Printf("% x\n", stream.Bytes()[:4])

	r := frame.NewReader(&stream, 0)
	for {
		p, err := r.ReadFrame()
		if err != nil {
			fmt.Println("end:", err)
			break
		}
		fmt.Printf("%d bytes: %s\n", len(p), p)
	}
	// Output:
	// 00 00 00 38
	// 56 bytes: {"id": 1, "method": "add", "params": {"a": 10, "b": 32}}
	// 22 bytes: {"text": "two\nlines"}
	// end: EOF
}

// A declared length above the maximum is refused before any allocation.
func ExampleReader_ReadFrame_tooLarge() {
	r := frame.NewReader(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff}), 0)
	_, err := r.ReadFrame()
	fmt.Println(errors.Is(err, frame.ErrTooLarge))
	fmt.Println(err)
	// Output:
	// true
	// frame: read: payload of 4294967295 bytes exceeds the maximum of 4194304
}
