"""The async chapter's chat server (chat_handler), made to broadcast, standalone.

Usage: python3 chat_broadcast_server.py [PORT]

The chapter's handler answers each line to its sender only; this copy
writes it to every connected client instead, the one change a chat room
needs, so that benchmarks can compare fan-out with netkit's chat service.
Prints the port when ready; serves on 127.0.0.1 until killed.
"""
import asyncio
import sys
from datetime import datetime

# Track connected clients (the chapter keeps their ids; a room needs their writers)
connected_clients: dict[str, asyncio.StreamWriter] = {}


async def chat_handler(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """Handle a client in a simple chat room."""
    addr = writer.get_extra_info("peername")
    client_id: str = f"{addr[0]}:{addr[1]}"
    connected_clients[client_id] = writer

    # Send welcome message
    welcome: str = f"Welcome! You are {client_id}. {len(connected_clients)} client(s) connected.\n"
    writer.write(welcome.encode())
    await writer.drain()

    try:
        while True:
            data: bytes = await reader.readline()
            if not data:
                break
            message: str = data.decode().strip()
            timestamp: str = datetime.now().strftime("%H:%M:%S")
            response: bytes = f"[{timestamp}] {client_id}: {message}\n".encode()
            for w in list(connected_clients.values()):
                w.write(response)
            await writer.drain()
    except ConnectionResetError:
        pass
    finally:
        connected_clients.pop(client_id, None)
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass


async def main(port: int) -> None:
    server = await asyncio.start_server(chat_handler, "127.0.0.1", port, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
