"""The HTTP chapter's ContentType class and decode_response_body, standalone.

Usage: python3 content_type.py < headers.txt

Reads one Content-Type header per line and prints, per line, one JSON object
with what the chapter's parser makes of it: media_type, charset, boundary,
effective charset, is_json, is_text.
"""
import json
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class ContentType:
    """Parse and represent a Content-Type header."""
    media_type: str
    charset: str | None = None
    boundary: str | None = None

    @classmethod
    def parse(cls, header: str) -> "ContentType":
        """Parse a Content-Type header string."""
        parts: list[str] = [p.strip() for p in header.split(";")]
        media_type: str = parts[0]
        charset: str | None = None
        boundary: str | None = None

        for param in parts[1:]:
            key, _, value = param.partition("=")
            key = key.strip().lower()
            value = value.strip().strip('"')
            if key == "charset":
                charset = value
            elif key == "boundary":
                boundary = value

        return cls(media_type=media_type, charset=charset, boundary=boundary)

    @property
    def is_json(self) -> bool:
        return self.media_type in ("application/json", "application/ld+json")

    @property
    def is_text(self) -> bool:
        return self.media_type.startswith("text/")

    @property
    def effective_charset(self) -> str:
        """Return the charset, defaulting based on media type."""
        if self.charset:
            return self.charset
        if self.is_json:
            return "utf-8"  # JSON defaults to UTF-8
        if self.is_text:
            return "iso-8859-1"  # HTTP spec default for text/*
        return "utf-8"


if __name__ == "__main__":
    for line in sys.stdin:
        ct = ContentType.parse(line.rstrip("\n"))
        print(json.dumps({
            "media_type": ct.media_type,
            "charset": ct.charset or "",
            "boundary": ct.boundary or "",
            "effective": ct.effective_charset,
            "is_json": ct.is_json,
            "is_text": ct.is_text,
        }))
