"""The async chapter's thread-per-connection server (sync_handle_client),
standalone.

Usage: python3 threaded_server.py [PORT] [LATENCY_SECONDS]

Each connection gets a thread that reads up to 1024 bytes, sleeps the
simulated latency (0.05 s as in the chapter) and answers "OK". Unlike the
chapter's version it serves until interrupted instead of exactly 50
connections; prints "PORT <n>" when ready.
"""
import socket
import sys
import threading
import time

SIMULATED_LATENCY: float = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05


def sync_handle_client(conn: socket.socket) -> None:
    with conn:
        conn.recv(1024)
        time.sleep(SIMULATED_LATENCY)  # Simulate processing
        conn.sendall(b"OK")


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", port))
        srv.listen(100)
        print(f"PORT {srv.getsockname()[1]}", flush=True)
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=sync_handle_client, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
