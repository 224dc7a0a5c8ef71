"""WMS GetMap / GetFeatureInfo / GetLegendGraphic parameters, checked before any work.

MapProxy answers some malformed requests with 500 (a reversed or empty BBOX, letters in
BBOX) or silently (a negative WIDTH), and knows nothing of TIME. Every WMS request the
server answers itself, and every GetMap it hands to MapProxy, is parsed here first into
typed values, so a bad parameter is always an OGC exception with the right code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from planning.errors import InvalidInput, PlanningError
from tiles import params as shared
from tiles import raster_layers
from tiles.mapproxy_config import MAPPROXY_FORMATS, public_layer
from tiles.styles import STYLE_NAMES

PNG8 = "image/png; mode=8bit"
IMAGE_FORMATS = (*MAPPROXY_FORMATS, PNG8)


class WmsError(PlanningError):
    """An OGC service exception with its WMS exception code (status 400)."""

    def __init__(
        self, message: str, code: str = "InvalidParameterValue", *, locator: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.locator = locator  # the parameter at fault (WMS 1.3.0 reports carry it)


@dataclass(frozen=True)
class MapView:
    """What a GetMap (or the map part of a GetFeatureInfo) asks for."""

    version: str
    layers: tuple[str, ...]
    srid: int
    bbox: tuple[float, float, float, float]  # east/north order whatever the CRS axes
    width: int
    height: int
    format: str
    transparent: bool
    bgcolor: str
    time: datetime | None  # None: now (the cached public path may answer)
    style: str = "default"  # one of tiles.styles.STYLE_NAMES
    rasters: tuple[int, ...] = ()  # raster layer ids (raster_<id>), checked requestable

    @property
    def kinds(self) -> tuple[str, ...]:
        """The layer kinds to draw, in request order, each once."""
        kinds: dict[str, None] = {}
        for name in self.layers:
            if raster_layers.raster_id(name) is not None:
                continue  # drawn from self.rasters; no vector kinds
            layer = public_layer(name)
            if layer is not None:
                kinds.update(dict.fromkeys(layer.kinds))
        return tuple(kinds)

    @property
    def pixel_size(self) -> tuple[float, float]:
        minx, miny, maxx, maxy = self.bbox
        return (maxx - minx) / self.width, (maxy - miny) / self.height


def version_of(params: dict[str, str]) -> str:
    """The request's version; anything but 1.1.1 (or 1.1.0) is answered as 1.3.0."""
    value = params.get("VERSION") or params.get("WMTVER") or "1.3.0"
    return "1.1.1" if value.startswith("1.1") else "1.3.0"


def parse_layers(
    text: str, *, name: str = "LAYERS", user=None, at: datetime | None = None
) -> tuple[str, ...]:
    """The layer names, each one the caller may request for the moment `at` (None: now)."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise WmsError(f"{name} is required.", "MissingParameterValue", locator=name)
    for layer in names:
        if not _is_defined(layer, user, at):
            raise WmsError(f"Unknown layer {layer[:64]!r}.", "LayerNotDefined", locator=name)
    return names


def _is_defined(name: str, user, at: datetime | None) -> bool:
    """Vector layers always exist; a raster only while its plan is in force at `at` (or
    for its author): a superseded scan is requestable for the instants it was in force."""
    if raster_layers.raster_id(name) is not None:
        return raster_layers.requestable_raster(name, user, at)
    return public_layer(name) is not None


def _styles(params: dict[str, str], count: int) -> str:
    styles = (
        [s.strip() for s in params.get("STYLES", "").split(",")] if params.get("STYLES") else []
    )
    if styles and len(styles) != count:
        raise WmsError("STYLES must name one style per layer.", "StyleNotDefined", locator="STYLES")
    if any(s not in ("", *STYLE_NAMES) for s in styles):
        raise WmsError(
            f"Styles offered: {', '.join(STYLE_NAMES)}.", "StyleNotDefined", locator="STYLES"
        )
    named = {s for s in styles if s}
    if len(named) > 1:
        raise WmsError(
            "One style for all layers of a request.", "StyleNotDefined", locator="STYLES"
        )
    return named.pop() if named else "default"


def _crs(params: dict[str, str], version: str) -> shared.Crs:
    key = "SRS" if version == "1.1.1" else "CRS"
    code = "InvalidSRS" if version == "1.1.1" else "InvalidCRS"
    text = params.get(key) or params.get("CRS") or params.get("SRS")
    if not text:
        raise WmsError(f"{key} is required.", "MissingParameterValue", locator=key)
    try:
        # WMS 1.1.1 is always x/y; 1.3.0 follows the EPSG axis order (lat first for 4326).
        return shared.parse_crs(text, legacy_axis_order=version == "1.1.1")
    except InvalidInput as exc:
        raise WmsError(exc.message, code, locator=key) from exc


def _bbox(params: dict[str, str], crs: shared.Crs) -> tuple[float, float, float, float]:
    try:
        box = shared.parse_bbox(params.get("BBOX"), default_crs=crs, allow_crs_suffix=False)
    except InvalidInput as exc:
        raise WmsError(f"BBOX: {exc.message}", locator="BBOX") from exc
    if box is None:
        raise WmsError("BBOX is required.", "MissingParameterValue", locator="BBOX")
    minx, miny, maxx, maxy = box.lon_lat()
    if not (minx < maxx and miny < maxy):
        raise WmsError("BBOX must have a positive width and height.", locator="BBOX")
    return minx, miny, maxx, maxy


def positive_int(params: dict[str, str], name: str, maximum: int) -> int:
    value = params.get(name, "").strip()
    if not value:
        raise WmsError(f"{name} is required.", "MissingParameterValue", locator=name)
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise WmsError(f"{name} must be a whole number from 1 to {maximum}.", locator=name)
    return int(value)


def normalise_format(text: str) -> str:
    """'image/png;mode=8bit', 'image/png; mode=8bit' and 'png' name the offered formats."""
    compact = text.replace(" ", "").lower()
    aliases = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg"}
    compact = aliases.get(compact, compact)
    for offered in IMAGE_FORMATS:
        if offered.replace(" ", "") == compact:
            return offered
    raise WmsError(f"Format {text[:64]!r} is not offered.", "InvalidFormat", locator="FORMAT")


def parse_time(text: str | None) -> datetime | None:
    """TIME: one instant (a day means its end); 'current' or absent means now."""
    if not text or text.strip().lower() in {"current", "now"}:
        return None
    try:
        interval = shared.parse_datetime_param(text.strip())
    except InvalidInput as exc:
        raise WmsError(f"TIME: {exc.message}", "InvalidDimensionValue", locator="TIME") from exc
    if interval is None or interval.instant is None:
        raise WmsError("TIME must be one date or instant.", "InvalidDimensionValue", locator="TIME")
    if not 1900 <= interval.instant.year <= 2999:
        raise WmsError("TIME is out of range.", "InvalidDimensionValue", locator="TIME")
    return interval.instant


def _bgcolor(text: str) -> str:
    value = text.strip().lower().removeprefix("0x").removeprefix("#") or "ffffff"
    if len(value) != 6 or any(c not in "0123456789abcdef" for c in value):
        raise WmsError("BGCOLOR must be 0xRRGGBB.", locator="BGCOLOR")
    return f"#{value}"


def parse_map_view(params: dict[str, str], *, image: bool = True, user=None) -> MapView:
    """The checked map part of a GetMap (image=True) or GetFeatureInfo request; raster
    layers count only when `user` may request them at TIME (now if absent)."""
    version = version_of(params)
    time = parse_time(params.get("TIME"))
    layers = parse_layers(params.get("LAYERS", ""), user=user, at=time)
    style = _styles(params, len(layers))
    crs = _crs(params, version)
    bbox = _bbox(params, crs)
    limit = settings.PLANNING_WMS_MAX_SIZE
    width = positive_int(params, "WIDTH", limit)
    height = positive_int(params, "HEIGHT", limit)
    fmt = normalise_format(params.get("FORMAT", "")) if image else "image/png"
    return MapView(
        version=version,
        layers=layers,
        srid=crs.srid,
        bbox=bbox,
        width=width,
        height=height,
        format=fmt,
        transparent=params.get("TRANSPARENT", "").strip().upper() == "TRUE",
        bgcolor=_bgcolor(params.get("BGCOLOR", "")),
        time=time,
        style=style,
        rasters=tuple(pk for pk in map(raster_layers.raster_id, layers) if pk is not None),
    )
