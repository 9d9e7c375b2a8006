"""The async chapter's demo_json_protocol client, as a standalone script.

Usage: python3 json_rpc_client.py PORT [HOST]

Connects to a length-prefixed JSON server on HOST:PORT (127.0.0.1 by
default), sends the chapter's four requests one after another and prints
each request and response as the chapter's cell does.
"""

import asyncio
import json
import struct
import sys
from typing import Any


async def send_json(
    writer: asyncio.StreamWriter,
    data: dict[str, Any],
) -> None:
    """Send a JSON message with a 4-byte length prefix."""
    payload: bytes = json.dumps(data, ensure_ascii=False).encode("utf-8")
    header: bytes = struct.pack("!I", len(payload))
    writer.write(header + payload)
    await writer.drain()


async def recv_json(
    reader: asyncio.StreamReader,
) -> dict[str, Any]:
    """Receive a length-prefixed JSON message."""
    header: bytes = await reader.readexactly(4)
    (length,) = struct.unpack("!I", header)
    payload: bytes = await reader.readexactly(length)
    return json.loads(payload.decode("utf-8"))


async def demo_json_protocol(host: str, port: int) -> None:
    """Demonstrate length-prefixed JSON messaging."""
    reader, writer = await asyncio.open_connection(host, port)

    # Send various requests
    requests: list[dict[str, Any]] = [
        {"id": 1, "method": "add", "params": {"a": 10, "b": 32}},
        {"id": 2, "method": "greet", "params": {"name": "Python"}},
        {"id": 3, "method": "echo", "params": {"data": [1, 2, 3], "nested": {"key": "value"}}},
        {"id": 4, "method": "unknown_method", "params": {}},
    ]

    for req in requests:
        await send_json(writer, req)
        resp: dict[str, Any] = await recv_json(reader)
        print(f"  Request:  {json.dumps(req)}")
        print(f"  Response: {json.dumps(resp)}\n")

    writer.close()
    await writer.wait_closed()


if __name__ == "__main__":
    port = int(sys.argv[1])
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    asyncio.run(demo_json_protocol(host, port))
