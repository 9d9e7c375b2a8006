"""The async chapter's echo client (async_echo_client), standalone.

Usage: python3 echo_client.py HOST PORT [MESSAGE...]

Sends each MESSAGE (the chapter's three by default) and prints what the
chapter's client prints, then the responses as one JSON list.
"""
import asyncio
import json
import sys


async def async_echo_client(
    host: str,
    port: int,
    messages: list[str],
) -> list[str]:
    """Connect to the echo server and exchange messages."""
    reader, writer = await asyncio.open_connection(host, port)
    print(f"[Client] Connected to {host}:{port}")

    responses: list[str] = []
    for msg in messages:
        # Send a line-terminated message
        writer.write(f"{msg}\n".encode())
        await writer.drain()

        # Read the echoed response
        data: bytes = await reader.readline()
        response: str = data.decode().strip()
        print(f"[Client] Sent: {msg!r}, Got: {response!r}")
        responses.append(response)

    writer.close()
    await writer.wait_closed()
    return responses


if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    messages = sys.argv[3:] or ["Hello async!", "Python networking", "Goodbye"]
    responses = asyncio.run(async_echo_client(host, port, messages))
    print(json.dumps(responses, ensure_ascii=False))
