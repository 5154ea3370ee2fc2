"""Webull Connect/Trading API client: asyncio + httpx, no Qt.

Layers inside: environments (hosts as data), signing (request HMAC), oauth (authorization URL,
state, tokens), transport (headers, rate limits, GET-only retries, error mapping), client (one
method per endpoint) and models (typed payloads).
"""
