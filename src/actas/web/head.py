"""``HEAD`` wherever ``GET`` is (RFC 9110 §9.3.2): uptime monitors and link checkers ask
``HEAD /`` and must not see a 405.

The routes declare ``GET`` only; this outermost middleware serves a ``HEAD`` as the
``GET`` of the same URL (same status, headers, validators and ``content-length``) and
sends no body. Other methods pass through untouched.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadAsGet"]


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headless(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the GET's body is dropped; only its end is sent
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headless)
