"""Runs a command on a new pseudo-terminal and prints what it wrote, for
the tests that compare netkit http's terminal output with HTTPie's.

Usage: python3 ptyrun.py COMMAND [ARG...]
"""
import os
import pty
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
try:
    while True:
        data = os.read(fd, 65536)
        if not data:
            break
        out += data
except OSError:  # EIO once the child has exited
    pass
os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
