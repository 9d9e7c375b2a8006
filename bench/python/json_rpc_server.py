"""The async chapter's length-prefixed JSON-RPC server, as a standalone script.

Usage: python3 json_rpc_server.py [PORT]

Listens on 127.0.0.1:PORT (0, the default, picks a free port), prints the
port on the first line of stdout when ready, and serves until killed. The
functions are the chapter's cell "JSON Message Framing: Length-Prefixed
Protocol", unchanged.
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


async def json_rpc_server(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """A simple JSON-RPC-like server."""
    addr = writer.get_extra_info("peername")
    print(f"[JSON Server] Client connected from {addr}")

    try:
        while True:
            try:
                request: dict[str, Any] = await recv_json(reader)
            except asyncio.IncompleteReadError:
                break  # Client disconnected

            method: str = request.get("method", "unknown")
            params: dict[str, Any] = request.get("params", {})
            req_id: int = request.get("id", 0)

            # Simple method dispatch
            if method == "add":
                result = params.get("a", 0) + params.get("b", 0)
            elif method == "greet":
                result = f"Hello, {params.get('name', 'World')}!"
            elif method == "echo":
                result = params
            else:
                result = {"error": f"Unknown method: {method}"}

            response: dict[str, Any] = {"id": req_id, "result": result}
            await send_json(writer, response)
    finally:
        writer.close()
        await writer.wait_closed()


async def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = await asyncio.start_server(json_rpc_server, "127.0.0.1", port)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
