"""The interactive API documentation at ``/docs``, served entirely by this service.

FastAPI's default documentation pages load Swagger UI and ReDoc from a public CDN, so on an
isolated dispatch network they stay blank. Here Swagger UI's script, stylesheet and icon come
from the ``fastapi-offline`` package's static files, mounted under ``/docs/assets``; the page
is FastAPI's own, pointed at those files (behind a proxy, ``root_path`` is prefixed). ReDoc is
off: its bundle still fetches its logo from the vendor's CDN.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
ASSETS_DIR = str(files("fastapi_offline") / "static")


def install_api_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` from local files.

    The app must be created with ``docs_url=None`` and ``redoc_url=None`` (no CDN pages).
    """
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="api-docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or f"{DOCS_URL}/oauth2-redirect"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - API",
            oauth2_redirect_url=root + redirect_url,
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
