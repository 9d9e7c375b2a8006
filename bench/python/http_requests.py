"""The HTTP chapter's urllib.request cell, sending its three requests for real.

Usage: python3 http_requests.py BASE_URL

The chapter builds a GET with custom headers, a JSON POST and a form POST
against https://api.example.com and does not send them; here they go to
BASE_URL (a local test server) with urlopen, and the status of each is
printed, one per line.
"""
import json
import sys
from urllib.parse import urlencode
from urllib.request import Request, urlopen

base = sys.argv[1].rstrip("/")

# Build a GET request with custom headers
get_request = Request(
    url=f"{base}/v2/users?page=1",
    headers={
        "Accept": "application/json",
        "Authorization": "Bearer token123",
        "User-Agent": "PythonClient/1.0",
    },
    method="GET",
)

# Build a POST request with JSON body
payload: dict[str, str | int] = {"name": "Alice", "email": "alice@example.com", "age": 30}
json_body: bytes = json.dumps(payload).encode("utf-8")

post_request = Request(
    url=f"{base}/v2/users",
    data=json_body,
    headers={
        "Content-Type": "application/json",
        "Accept": "application/json",
    },
    method="POST",
)

# Build a form-encoded POST request
form_data: dict[str, str] = {"username": "alice", "password": "secret123"}
form_body: bytes = urlencode(form_data).encode("utf-8")

form_request = Request(
    url=f"{base}/login",
    data=form_body,
    headers={"Content-Type": "application/x-www-form-urlencoded"},
    method="POST",
)

for request in (get_request, post_request, form_request):
    with urlopen(request, timeout=10) as response:
        print(response.status)
