"""Reflex configuration: every URL comes from opex_app.settings (the environment)."""

import reflex as rx

from opex_app.api.security_headers import site_origin
from opex_app.settings import get_settings

_settings = get_settings()  # refuses an unknown OPEX_ENV and a weak production OPEX_SECRET_KEY

config = rx.Config(
    app_name="opex_app",
    # The app opens its own engine (opex_app.db); Reflex only needs to know the URL exists.
    db_url=_settings.database_url,
    redis_url=_settings.redis_url,
    state_manager_mode="redis" if _settings.redis_url else "disk",
    # No frontend_port: `reflex run --env prod` serves both on backend_port anyway, and `--backend-only`
    # (deploy/) refuses to start when a frontend port is configured.
    backend_port=_settings.app_port,
    api_url=_settings.api_url or f"http://localhost:{_settings.app_port}",
    deploy_url=_settings.api_url or f"http://localhost:{_settings.app_port}",
    # CORS and the event socket's Origin check (socket.io) accept the site's own origin only, not any origin.
    cors_allowed_origins=[site_origin()],
    telemetry_enabled=False,
    show_built_with_reflex=False,
    default_color_mode="light",
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium", scaling="95%")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
