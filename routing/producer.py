"""The platform's calls to producers: pooled keep-alive connections, a connect timeout, one
retry when the connection was never made, and answers above a size limit cut off."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from .config import PlatformConfig


class ProducerAnswerTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


@dataclass(frozen=True)
class ProducerReply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


class ProducerCaller:
    """Calls producers over pooled keep-alive connections."""

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        self.session: aiohttp.ClientSession | None = None
        self.tls: ssl.SSLContext | None = None

    def _ssl(self) -> ssl.SSLContext | None:
        """The TLS context for HTTPS producers: the platform shows its own client certificate."""
        if not self.config.producer_client_cert:
            return None
        ctx = ssl.create_default_context(cafile=self.config.producer_ca)
        ctx.load_cert_chain(self.config.producer_client_cert, self.config.producer_client_key)
        return ctx

    async def start(self) -> None:
        self.tls = self._ssl()
        # idle connections are let go before a producer would close them (theirs: 30 s)
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=256, keepalive_timeout=15, ssl=self.tls or True)
        self.session = aiohttp.ClientSession(connector=connector, auto_decompress=False, skip_auto_headers=("User-Agent",))

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def _once(self, url: str, body: bytes, headers: CIMultiDict[str], timeout: float) -> ProducerReply:
        assert self.session is not None
        limit = self.config.max_response
        t = aiohttp.ClientTimeout(total=timeout, sock_connect=self.config.connect_timeout)
        async with self.session.post(url, data=body, headers=headers, timeout=t, allow_redirects=False) as r:
            if (r.content_length or 0) > limit:
                r.close()  # the connection is not reused: the rest of the answer is never read
                raise ProducerAnswerTooLarge(limit)
            chunks, size = [], 0
            async for chunk in r.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > limit:
                    r.close()
                    raise ProducerAnswerTooLarge(limit)
                chunks.append(chunk)
            return ProducerReply(r.status, r.headers, b"".join(chunks))

    async def call(self, url: str, body: bytes, headers: CIMultiDict[str], timeout: float) -> ProducerReply:
        try:
            return await self._once(url, body, headers, timeout)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError):
            # the connection was never made: nothing reached the producer, so one retry is safe
            await asyncio.sleep(self.config.retry_pause)
            return await self._once(url, body, headers, timeout)
