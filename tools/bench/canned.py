"""A canned producer for the benchmark: answers every POST with one fixed GetOrders response."""

from __future__ import annotations

import sys

from aiohttp import web

RESPONSE = (
    b'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    b'<soap:Body><r:GetOrdersResponse xmlns:r="urn:riv:clinicalprocess:activity:selfsampling:GetOrdersResponder:1" '
    b'xmlns:c="urn:riv:clinicalprocess:activity:selfsampling:1">'
    + b"<r:order><c:orderId>00000000-0000-0000-0000-000000000000</c:orderId><c:referralId>ACEFHJKM</c:referralId>"
    b"<c:status>ORDERED</c:status></r:order>" * 10
    + b"</r:GetOrdersResponse></soap:Body></soap:Envelope>"
)


async def answer(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=RESPONSE, content_type="text/xml", charset="utf-8")


def main() -> None:
    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
