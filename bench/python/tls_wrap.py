"""Runs one of the chapter's clients over TLS, unchanged.

Usage: python3 tls_wrap.py CAFILE CLIENT.py [ARGS...]

The clients connect with asyncio.open_connection; this wraps it so that
every connection is TLS, verified against CAFILE (Python's ssl module,
hostname checking on), with a client certificate from the NETKIT_CERT and
NETKIT_KEY environment variables when they are set. Then it runs
CLIENT.py with ARGS as its own command line.
"""
import asyncio
import os
import runpy
import ssl
import sys

cafile, script = sys.argv[1], sys.argv[2]
context = ssl.create_default_context(cafile=cafile)
if os.environ.get("NETKIT_CERT"):
    context.load_cert_chain(os.environ["NETKIT_CERT"], os.environ["NETKIT_KEY"])

plain_open_connection = asyncio.open_connection


async def open_tls_connection(host=None, port=None, **kwargs):
    kwargs.setdefault("ssl", context)
    return await plain_open_connection(host, port, **kwargs)


asyncio.open_connection = open_tls_connection
sys.argv = [script] + sys.argv[3:]
runpy.run_path(script, run_name="__main__")
