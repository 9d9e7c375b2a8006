"""The async chapter's echo server (async_echo_server_handler), standalone.

Usage: python3 echo_server.py [PORT] [--quiet]

Listens on 127.0.0.1:PORT (0, the default, picks a free port) and prints
"PORT <n>" when ready. --quiet drops the per-message prints, so benchmarks
measure the protocol rather than the console. Otherwise unchanged from the
chapter.
"""
import asyncio
import sys

QUIET = "--quiet" in sys.argv


def log(*args: object) -> None:
    if not QUIET:
        print(*args, flush=True)


async def async_echo_server_handler(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """Handle a single client connection: echo lines back."""
    addr = writer.get_extra_info("peername")
    log(f"[Server] Client connected from {addr}")

    while True:
        data: bytes = await reader.readline()
        if not data:
            break
        message: str = data.decode().strip()
        log(f"[Server] Received: {message!r}")

        response: bytes = f"ECHO: {message}\n".encode()
        writer.write(response)
        await writer.drain()  # Ensure data is sent

    log(f"[Server] Client {addr} disconnected")
    writer.close()
    await writer.wait_closed()


async def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    port = int(args[0]) if args else 0
    server = await asyncio.start_server(async_echo_server_handler, "127.0.0.1", port, backlog=4096)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
