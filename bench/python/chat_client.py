"""The async chapter's chat clients (simulate_client from demo_chat_server), standalone.

Usage: python3 chat_client.py HOST PORT [NAME...]

Runs the chapter's three clients (Alice, Bob and Carol, two messages each)
concurrently against the chat server at HOST:PORT, prints what the
chapter's demo prints, then every client's responses as one JSON object.
NAMEs run only those of the three clients.
"""
import asyncio
import json
import sys


async def simulate_client(host: str, port: int, name: str, messages: list[str]) -> list[str]:
    """Simulate a chat client."""
    reader, writer = await asyncio.open_connection(host, port)

    # Read welcome message
    welcome: bytes = await reader.readline()
    print(f"  [{name}] {welcome.decode().strip()}")

    responses: list[str] = []
    for msg in messages:
        writer.write(f"{msg}\n".encode())
        await writer.drain()
        response: bytes = await reader.readline()
        resp_text: str = response.decode().strip()
        print(f"  [{name}] Got: {resp_text}")
        responses.append(resp_text)
        await asyncio.sleep(0.05)  # Simulate think time

    writer.close()
    await writer.wait_closed()
    return responses


async def main(host: str, port: int, names: list[str]) -> None:
    clients = {
        "Alice": ["Hello!", "How is everyone?"],
        "Bob": ["Hi there!", "Doing great!"],
        "Carol": ["Hey!", "Good to be here!"],
    }
    if names:
        clients = {n: m for n, m in clients.items() if n in names}
    # Run 3 clients concurrently
    results = await asyncio.gather(
        *(simulate_client(host, port, name, msgs) for name, msgs in clients.items())
    )
    print(f"\nTotal messages exchanged: {sum(len(r) for r in results)}")
    print(json.dumps(dict(zip(clients, results)), ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
