"""MapProxy mounted inside Django: one WSGI app per in-force generation, built lazily.

Every map request asks for the current generation (one cheap query); when it differs
from the app in memory, a new configuration is generated and loaded, and the tile cache
directories of older generations are deleted. The plan_in_force_changed signal drops
the app at once, so the next request in this process rebuilds it.
"""

from __future__ import annotations

import io
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from mapproxy.config.configuration.base import ConfigurationError
from mapproxy.config.configuration.proxy import ProxyConfiguration
from mapproxy.config.spec import validate_options
from mapproxy.wsgiapp import MapProxyApp

from tiles import mapnik_source, raster_source
from tiles.generation import current_generation
from tiles.mapproxy_config import build_config, generation_dir

log = logging.getLogger(__name__)
_lock = threading.Lock()
_apps: dict[str, MapProxyApp] = {}


def make_app(conf: dict, base_dir: Path) -> MapProxyApp:
    """A MapProxy WSGI app from a configuration dict (what make_wsgi_app does for a file)."""
    mapnik_source.register()
    raster_source.register()
    errors, informal_only = validate_options(conf)
    for error in errors:
        log.warning("MapProxy configuration: %s", error)
    if not informal_only:
        raise ConfigurationError("invalid MapProxy configuration: " + "; ".join(errors))
    base_dir.mkdir(parents=True, exist_ok=True)
    proxy_conf = ProxyConfiguration(conf, conf_base_dir=str(base_dir), seed=False, renderd=False)
    return MapProxyApp(proxy_conf.configured_services(), proxy_conf.base_config)


def get_app() -> MapProxyApp:
    """The app of the current generation, building it (and purging old caches) if needed."""
    generation = current_generation()
    app = _apps.get(generation)
    if app is not None:
        _mark_in_use(generation)
        return app
    with _lock:
        # Read again under the lock: a thread that looked before an approval committed must
        # not rebuild (and purge for) the generation that approval just replaced.
        generation = current_generation()
        app = _apps.get(generation)
        if app is None:
            app = make_app(build_config(generation), generation_dir(generation))
            _apps.clear()
            _apps[generation] = app
            purge_old_generations(keep=generation)
    return app


# Other processes may still be finishing requests of the generation just replaced.
PURGE_GRACE_SECONDS = 120


def purge_old_generations(keep: str | None) -> list[Path]:
    """Delete the cache directories of other generations unused for a grace period."""
    root = Path(settings.PLANNING_TILE_CACHE_DIR)
    if not root.is_dir():
        return []
    removed = []
    cutoff = time.time() - PURGE_GRACE_SECONDS
    for path in root.iterdir():
        if not (path.is_dir() and path.name.startswith("gen-") and path.name != keep):
            continue
        marker = path / IN_USE_MARKER
        last_use = marker.stat().st_mtime if marker.exists() else path.stat().st_mtime
        if last_use < cutoff:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


IN_USE_MARKER = ".in-use"
_marked: dict[str, float] = {}


def _mark_in_use(generation: str) -> None:
    """Touch the generation's marker at most every 30 s, so purges in other processes see
    it is still being served."""
    now = time.time()
    if now - _marked.get(generation, 0.0) < 30:
        return
    _marked[generation] = now
    directory = generation_dir(generation)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / IN_USE_MARKER).touch()


def on_plan_in_force_changed(sender: object, **kwargs: object) -> None:
    """Forget the app (the next request rebuilds it) and drop caches no longer current."""
    with _lock:
        _apps.clear()
    purge_old_generations(keep=current_generation())


def reset() -> None:
    """Forget every built app (tests switch databases and cache directories)."""
    with _lock:
        _apps.clear()


@dataclass
class WsgiResponse:
    status: int
    headers: list[tuple[str, str]]
    body: Iterable[bytes]
    close: Callable[[], None] | None = None


def trusted_environ(environ: dict) -> dict:
    """The environ without forwarded headers Django does not trust.

    MapProxy writes the URLs in its capabilities from X-Forwarded-Host/-Proto when present
    (unescaped), while Django validates only Host against ALLOWED_HOSTS: forwarded values
    reach MapProxy only where settings say a trusted proxy sets them.
    """
    env = dict(environ)
    env.pop("HTTP_X_SCRIPT_NAME", None)  # MapProxy would prefix its URLs with it
    if not settings.USE_X_FORWARDED_HOST:
        env.pop("HTTP_X_FORWARDED_HOST", None)
    proxy_header = (getattr(settings, "SECURE_PROXY_SSL_HEADER", None) or ("",))[0]
    proto = env.pop("HTTP_X_FORWARDED_PROTO", None)
    if proxy_header == "HTTP_X_FORWARDED_PROTO" and proto in ("http", "https"):
        env["HTTP_X_FORWARDED_PROTO"] = proto
    return env


def call(environ: dict, path_info: str, query_string: str | None = None) -> WsgiResponse:
    """Run MapProxy on `environ` with PATH_INFO (and optionally QUERY_STRING) replaced."""
    env = trusted_environ(environ)
    env["PATH_INFO"] = path_info
    # MapProxy logs its internal errors (with traceback, to errors.log) and then prints the
    # traceback to wsgi.errors as text, which Django's (bytes) or a missing stream would turn
    # into a second crash: give it a text sink of its own.
    env["wsgi.errors"] = io.StringIO()
    if query_string is not None:
        env["QUERY_STRING"] = query_string
    captured: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = headers
        return lambda data: None

    body = get_app()(env, start_response)
    return WsgiResponse(
        status=captured["status"],  # type: ignore[arg-type]
        headers=captured["headers"],  # type: ignore[arg-type]
        body=body,
        close=getattr(body, "close", None),
    )
