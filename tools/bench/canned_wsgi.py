"""The canned limit: a WSGI app under gunicorn as the service runs (gthread workers, and the
same TLS listener when asked) that reads the request, parses it with lxml as the service does,
and answers one fixed response. What the real service does beyond that is its own cost.

    python -m tools.bench.canned_wsgi PORT RESPONSE-FILE [CERTS-DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from contracts.xml import parse_message
from eph.config import Settings
from eph.devpki import DevPki
from eph.server import GunicornServer, gunicorn_options, tls_options


def app_for(response: bytes) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    headers = [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(response)))]

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        parse_message(body)
        start_response("200 OK", headers)
        return [response]

    return app


def main() -> None:
    port, response = int(sys.argv[1]), Path(sys.argv[2]).read_bytes()
    settings = Settings()
    options = gunicorn_options(f"127.0.0.1:{port}", settings, "eph-canned")
    if len(sys.argv) > 3:
        pki = DevPki(Path(sys.argv[3]))
        options.update(tls_options(str(pki.service.cert), str(pki.service.key), str(pki.ca.cert)))
    GunicornServer(lambda: app_for(response), options).run()


if __name__ == "__main__":
    main()
