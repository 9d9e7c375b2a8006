"""The async chapter's counting server (counting_handler), standalone.

Usage: python3 counting_server.py [PORT]

Answers one line per connection with "OK" and closes, as in the chapter's
scalability cell; prints "PORT <n>" when ready.
"""
import asyncio
import sys

request_count: int = 0


async def counting_handler(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """Simple handler that counts requests."""
    global request_count
    data: bytes = await reader.readline()
    if data:
        request_count += 1
        writer.write(b"OK\n")
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = await asyncio.start_server(counting_handler, "127.0.0.1", port, backlog=4096)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
