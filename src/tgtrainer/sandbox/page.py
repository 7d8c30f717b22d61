"""The web chat page: plain HTML, CSS and JavaScript shipped in the package, served as they are."""

from __future__ import annotations

import importlib.resources

from aiohttp import web

STATIC = importlib.resources.files("tgtrainer.sandbox") / "static"
CONTENT_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
}


def page_files() -> dict[str, bytes]:
    """The page's files by name (what a browser downloads to show it)."""
    return {
        item.name: item.read_bytes()
        for item in STATIC.iterdir()
        if item.is_file() and any(item.name.endswith(suffix) for suffix in CONTENT_TYPES)
    }


def page_routes() -> list[web.RouteDef]:
    return [
        web.get("/", _index),
        web.get("/static/{name}", _static),
    ]


def _file_response(name: str) -> web.Response:
    suffix = "." + name.rpartition(".")[2]
    if "/" in name or suffix not in CONTENT_TYPES:
        raise web.HTTPNotFound()
    resource = STATIC / name
    if not resource.is_file():
        raise web.HTTPNotFound()
    return web.Response(
        body=resource.read_bytes(),
        content_type=CONTENT_TYPES[suffix],
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def _index(request: web.Request) -> web.Response:
    return _file_response("index.html")


async def _static(request: web.Request) -> web.Response:
    return _file_response(request.match_info["name"])
