"""The review dossier of a revision as a PDF, and its endpoint.

One document a board can file: the title block, the map (the revision over the plans in
force, with legend, scale bar and north arrow, and the located comments as numbered pins),
the revision's raster layers, the land-use balance table, the QA report, the comments (each
located one with its pin's number, or "outside the map") and the decision. Every label goes
through gettext, so the dossier speaks the caller's language; DejaVu Sans is embedded so
Vietnamese text renders anywhere. User text (comments, notes, names) is escaped before
reportlab's paragraph markup sees it.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from pyproj import CRS
from pyproj.exceptions import CRSError
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from planning import qa
from planning.api.auth import is_private, service_user
from planning.api.decision_document import decision_document_path
from planning.balance import Balance, balance_of
from planning.comments import thread_is_public, thread_of
from planning.errors import NotFound, PlanningError
from planning.models import Comment, Revision
from planning.numbers import localized
from planning.visibility import visible_revisions
from rasters.models import RasterLayer
from tiles import http_cache
from tiles.dossier_map import DossierMap, MapPin, render_map, round_distance
from tiles.styles import COLOUR_RE, UNKNOWN_COLOUR

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
MAP_HEIGHT = 120 * mm
MAP_PIXEL_RATIO = 2.0  # pixels per point: about 144 dpi on paper
MAX_FINDINGS = 1000  # a broken import can produce tens of thousands; the page lists all
# Characters of a table cell. ReportLab cannot break a cell across pages: one taller than a
# page (a lot code of 5,000,000 characters in a QA message) stops the whole document with a
# LayoutError. 300 fill about 30 lines of the narrowest column (the rasters' 18 mm); a QA
# message has a wide column, and its lot codes are cut already (planning.qa.PARAM_CHARS).
CELL_CHARS = 300
MESSAGE_CHARS = 1000
GRID = colors.HexColor("#9E9E9E")
HEADER_BG = colors.HexColor("#ECEFF1")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@cache
def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) once; it covers Vietnamese."""
    for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        path = FONT_DIR / file
        if not path.exists():
            raise RuntimeError(f"{path} is missing: install Debian's fonts-dejavu-core")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


STYLES = {
    "title": ParagraphStyle("title", fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=4),
    "h2": ParagraphStyle(
        "h2",
        fontName=FONT_BOLD,
        fontSize=12,
        leading=15,
        spaceBefore=10,
        spaceAfter=5,
        keepWithNext=1,
    ),
    "body": ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12),
    "small": ParagraphStyle("small", fontName=FONT, fontSize=7.5, leading=9.5),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=10.5),
    "num": ParagraphStyle("num", fontName=FONT, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
    "head": ParagraphStyle("head", fontName=FONT_BOLD, fontSize=8.5, leading=10.5),
    "small-head": ParagraphStyle("small-head", fontName=FONT_BOLD, fontSize=7.5, leading=9.5),
    "meta": ParagraphStyle("meta", fontName=FONT_BOLD, fontSize=8.5, leading=11, spaceBefore=6),
}


# --- text helpers ---------------------------------------------------------------------------


def text(value: object) -> str:
    """User or database text as paragraph markup: escaped, line breaks kept."""
    plain = _CONTROL.sub("", str(value))
    return escape(plain).replace("\r\n", "\n").replace("\n", "<br/>")


def para(value: object, style: str = "cell") -> Paragraph:
    return Paragraph(text(value), STYLES[style])


def cell(value: object, style: str = "cell", limit: int = CELL_CHARS) -> Paragraph:
    """A table cell of user or database text, cut with an ellipsis past `limit`."""
    return para(qa.shortened(str(value), limit), style)


def number(value: float, decimals: int = 2) -> str:
    """A number in the active language's separators, grouped by thousands."""
    return localized(value, decimals)


def when(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def grid_table(rows: list[list], widths: list[float], extra: Iterable[tuple] = ()) -> Table:
    """A table with a header row that repeats on every page."""
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *extra,
            ]
        )
    )
    return table


# --- title block ----------------------------------------------------------------------------


def title_block(revision: Revision) -> list[Flowable]:
    project = revision.project
    pairs = [
        (_("Project code"), project.code),
        (_("Level"), project.get_level_display()),  # type: ignore[attr-defined]
        (_("Scale"), f"1/{project.scale}"),
        (_("Revision"), str(revision.number)),
        (_("State"), revision.get_state_display()),  # type: ignore[attr-defined]
        (_("Created"), when(revision.created_at)),
        (_("Submitted"), when(revision.submitted_at)),
        # Moments of the workflow, not the date on the signed decision (Decision section).
        (_("Decided at"), when(revision.decided_at)),
        (_("Approved at"), when(revision.approved_at)),
        (_("Superseded"), when(revision.superseded_at)),
    ]
    if project.admin_area:
        pairs.append((_("Administrative area"), project.admin_area))
    if project.agency:
        pairs.append((_("Responsible agency"), project.agency))
    cells = [[para(label, "head"), cell(value)] for label, value in pairs]
    half = (len(cells) + 1) // 2
    left, right = cells[:half], cells[half:] + [["", ""]] * (2 * half - len(cells))
    rows = [a + b for a, b in zip(left, right, strict=True)]
    widths = [0.18 * FRAME_WIDTH, 0.32 * FRAME_WIDTH] * 2
    table = Table(rows, colWidths=widths)
    table.setStyle(
        TableStyle([("BOX", (0, 0), (-1, -1), 0.6, GRID), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    heading = _("Review dossier")
    return [
        Paragraph(text(heading), STYLES["small"]),
        Paragraph(text(project.name), STYLES["title"]),
        table,
    ]


# --- map ------------------------------------------------------------------------------------


class MapFlowable(Flowable):
    """The rendered map in a frame, with a north arrow and a scale bar drawn over it."""

    def __init__(self, image: DossierMap, width: float, height: float) -> None:
        super().__init__()
        self.image, self.width, self.height = image, width, height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.drawImage(ImageReader(io.BytesIO(self.image.png)), 0, 0, self.width, self.height)
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(0.8)
        canvas.rect(0, 0, self.width, self.height)
        self._north_arrow(self.width - 14 * mm, self.height - 22 * mm)
        self._scale_bar(6 * mm, 6 * mm)

    def _north_arrow(self, x: float, y: float) -> None:
        """Points to true north: grid north turned by the meridian convergence."""
        canvas = self.canv
        canvas.saveState()
        canvas.translate(x, y)
        canvas.setFillColor(colors.white)
        canvas.setStrokeColor(colors.black)
        canvas.circle(0, 4 * mm, 8 * mm, stroke=1, fill=1)
        canvas.rotate(self.image.true_north_deg)
        path = canvas.beginPath()
        path.moveTo(0, 10 * mm)
        path.lineTo(-3.5 * mm, -1 * mm)
        path.lineTo(0, 1.5 * mm)
        path.lineTo(3.5 * mm, -1 * mm)
        path.close()
        canvas.setFillColor(colors.black)
        canvas.drawPath(path, stroke=1, fill=1)
        canvas.restoreState()
        canvas.setFont(FONT_BOLD, 9)
        canvas.drawCentredString(x, y - 3.5 * mm, _("N"))

    def _scale_bar(self, x: float, y: float) -> None:
        """A round distance (1, 2 or 5 × 10ⁿ m) of at most a quarter of the map's width."""
        metres_per_point = (self.image.bbox[2] - self.image.bbox[0]) / self.width
        metres = round_distance(self.width / 4 * metres_per_point)
        length = metres / metres_per_point
        denominator = metres_per_point / (0.0254 / 72)
        canvas = self.canv
        canvas.setFillColor(colors.white)
        canvas.rect(x - 2 * mm, y - 2 * mm, length + 4 * mm + 30 * mm, 11 * mm, stroke=0, fill=1)
        for i in range(4):
            canvas.setFillColor(colors.black if i % 2 == 0 else colors.white)
            canvas.rect(x + i * length / 4, y, length / 4, 2 * mm, stroke=1, fill=1)
        canvas.setFillColor(colors.black)
        canvas.setFont(FONT, 7.5)
        canvas.drawString(x, y + 3 * mm, "0")
        canvas.drawRightString(x + length, y + 3 * mm, f"{number(metres, 0)} m")
        canvas.drawString(x + length + 3 * mm, y, f"1:{number(denominator, 0)} (A4)")


def legend_table(entries: list[dict[str, str]]) -> Table | None:
    """Swatch and label of each category or kind on the map, three to a row."""
    if not entries:
        return None
    columns = 3
    cells: list[list] = []
    extra: list[tuple] = []
    for index, entry in enumerate(entries):
        row, col = divmod(index, columns)
        if col == 0:
            cells.append(["", ""] * columns)
        cells[row][2 * col + 1] = cell(entry["label"], "small")
        extra.append(("BACKGROUND", (2 * col, row), (2 * col, row), _colour(entry["colour"])))
        extra.append(("BOX", (2 * col, row), (2 * col, row), 0.4, GRID))
    label_width = FRAME_WIDTH / columns - 7 * mm
    table = Table(cells, colWidths=[5 * mm, label_width] * columns)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *extra]))
    return table


def _colour(value: str) -> colors.Color:
    return colors.HexColor(value if COLOUR_RE.match(value or "") else UNKNOWN_COLOUR)


def dossier_map(revision: Revision, listed: list[tuple[str, Comment]]) -> DossierMap | None:
    """The map of the dossier, with a pin for each located comment of `listed` (the thread
    as the comments section prints it, with its numbers)."""
    thread_status: dict[int | None, str] = {c.pk: c.status for _label, c in listed}
    pins = [
        # A reply's pin takes its thread's colour: nobody resolves a reply on its own.
        MapPin(label, comment.geom, thread_status.get(comment.parent_id, comment.status))
        for label, comment in listed
        if comment.geom is not None and is_located(comment)
    ]
    size = (int(FRAME_WIDTH * MAP_PIXEL_RATIO), int(MAP_HEIGHT * MAP_PIXEL_RATIO))
    return render_map(revision, *size, pins)


def is_located(comment: Comment) -> bool:
    return comment.geom is not None and not comment.geom.empty


def map_section(image: DossierMap | None) -> list[Flowable]:
    heading = Paragraph(text(_("Map")), STYLES["h2"])
    if image is None:
        return [heading, para(_("The revision has no features to map."), "body")]
    note = _("The revision in full colour over the plans in force (faded).")
    flowables: list[Flowable] = [heading, MapFlowable(image, FRAME_WIDTH, MAP_HEIGHT)]
    flowables.append(Spacer(1, 2 * mm))
    flowables.append(para(note, "small"))
    legend = legend_table(image.legend)
    if legend is not None:
        flowables += [Paragraph(text(_("Legend")), STYLES["meta"]), legend]
    return flowables


# --- rasters --------------------------------------------------------------------------------


def raster_crs(raster: RasterLayer) -> str:
    if raster.crs_epsg:
        return f"EPSG:{raster.crs_epsg}"
    if not raster.crs_wkt:
        return "–"
    try:
        return CRS.from_wkt(raster.crs_wkt).name
    except CRSError:
        return "–"


def raster_rms(raster: RasterLayer) -> str:
    """The RMS error of the control-point fit in metres and in pixels, as far as known."""
    parts = []
    if raster.rms_error is not None and math.isfinite(raster.rms_error):
        parts.append(f"{number(raster.rms_error, 3)} m")
    if raster.rms_error_pixels is not None and math.isfinite(raster.rms_error_pixels):
        parts.append(f"{number(raster.rms_error_pixels, 2)} px")
    return "\n".join(parts) or "–"


def raster_section(revision: Revision) -> list[Flowable]:
    """The scans, orthophotos and elevation models of the revision; nothing without any."""
    rasters = list(RasterLayer.objects.filter(revision=revision).order_by("id"))
    if not rasters:
        return []
    head = [
        _("Name"),
        _("Kind"),
        _("Source file"),
        _("Scan or survey date"),
        _("Georeferenced"),
        _("Georeference"),
        _("RMS error"),
        _("CRS"),
    ]
    rows: list[list] = [[para(h, "small-head") for h in head]]
    for raster in rasters:
        cells = [
            raster.name,
            raster.get_kind_display(),  # type: ignore[attr-defined]
            raster.source_filename,
            when(raster.scan_date),
            _("Yes") if raster.is_georeferenced else _("No"),
            raster.get_georeference_method_display(),  # type: ignore[attr-defined]
            raster_rms(raster),
            raster_crs(raster),
        ]
        rows.append([cell(value, "small") for value in cells])
    widths = [w * mm for w in (24, 19, 27, 18, 26, 26, 19, 21)]
    padding = [("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
    return [Paragraph(text(_("Rasters")), STYLES["h2"]), grid_table(rows, widths, padding)]


# --- land-use balance -----------------------------------------------------------------------


def balance_section(balance: Balance) -> list[Flowable]:
    heading = Paragraph(text(_("Land-use balance")), STYLES["h2"])
    if not balance.rows:
        return [heading, para(_("The revision has no land-use lots."), "body")]
    head = ["", _("Code"), _("Name"), _("Area (m²)"), _("Share (%)"), _("Lots")]
    rows: list[list] = [[para(h, "head") for h in head]]
    extra: list[tuple] = []
    for index, row in enumerate(balance.rows, start=1):
        extra.append(("BACKGROUND", (0, index), (0, index), _colour(row.colour)))
        rows.append(
            [
                "",
                cell(row.code),
                cell(row.name),
                para(number(row.area), "num"),
                para(number(row.share), "num"),
                para(str(row.lots), "num"),
            ]
        )
    total_lots = sum(r.lots for r in balance.rows)
    rows.append(
        [
            "",
            para(_("Total"), "head"),
            "",
            para(number(balance.total_area), "num"),
            para(number(balance.total_share), "num"),
            para(str(total_lots), "num"),
        ]
    )
    widths = [8 * mm, 22 * mm, FRAME_WIDTH - 115 * mm, 35 * mm, 25 * mm, 25 * mm]
    flowables: list[Flowable] = [heading, grid_table(rows, widths, extra)]
    return [*flowables, *boundary_note(balance)]


def boundary_note(balance: Balance) -> list[Flowable]:
    if balance.boundary_area is None or balance.difference_pct is None:
        return [para(_("The plan has no boundary to compare the total with."), "body")]
    line = _(
        "Plan boundary area: %(area)s m²; total minus boundary: %(difference)s m² (%(pct)s %%)."
    ) % {
        "area": number(balance.boundary_area),
        "difference": number(balance.total_area - balance.boundary_area),
        "pct": number(balance.difference_pct),
    }
    return [Spacer(1, 2 * mm), para(line, "body")]


# --- QA, comments, decision -----------------------------------------------------------------


def qa_section(revision: Revision) -> list[Flowable]:
    heading = Paragraph(text(_("Automatic checks (QA)")), STYLES["h2"])
    findings = list(revision.findings.order_by("severity", "rule", "id")[: MAX_FINDINGS + 1])
    if not findings:
        return [heading, para(_("No findings."), "body")]
    head = [_("Severity"), _("Rule"), _("Message")]
    rows: list[list] = [[para(h, "head") for h in head]]
    for finding in findings[:MAX_FINDINGS]:
        severity = finding.get_severity_display()  # type: ignore[attr-defined]
        message = qa.message_of(finding)
        rows.append([cell(severity), cell(finding.rule), cell(message, limit=MESSAGE_CHARS)])
    flowables: list[Flowable] = [
        heading,
        grid_table(rows, [22 * mm, 38 * mm, FRAME_WIDTH - 60 * mm]),
    ]
    if len(findings) > MAX_FINDINGS:
        more = revision.findings.count() - MAX_FINDINGS
        flowables.append(
            para(_("… and %(count)d more findings: see the review page.") % {"count": more}, "body")
        )
    return flowables


def reading_order(thread: Iterable[Comment]) -> list[tuple[str, Comment]]:
    """The thread as the dossier prints it, each comment with its number: a thread's first
    comment has the thread's number as the review page gives it ("3"), its replies "3.1",
    "3.2"…, so a pin on the map names one comment."""
    comments = list(thread)
    known = {c.pk for c in comments}
    roots = [c for c in comments if c.parent_id is None or c.parent_id not in known]
    by_parent: dict[int | None, list[Comment]] = {}
    for comment in comments:
        by_parent.setdefault(comment.parent_id, []).append(comment)
    listed: list[tuple[str, Comment]] = []
    for number, root in enumerate(roots, start=1):
        listed.append((str(number), root))
        replies = by_parent.get(root.pk, [])
        listed += [(f"{number}.{index}", reply) for index, reply in enumerate(replies, start=1)]
    return listed


def pin_note(label: str, comment: Comment, image: DossierMap | None) -> str | None:
    """Where the reader finds a located comment: its pin on the map, or that it lies
    beyond it. Nothing for a comment without a place, or without a map at all."""
    if image is None or not is_located(comment):
        return None
    if label in image.pins:
        return _("Map pin %(number)s") % {"number": label}
    return _("Located outside the map")


def person(user) -> str:
    """Someone as a printed record names them: by name, their login only without one (a
    published decision is read by the public, for whom the login is an account detail)."""
    return user.get_full_name().strip() or user.get_username()


def comment_flowables(
    comment: Comment, revision: Revision, note: str | None = None
) -> list[Flowable]:
    status = comment.get_status_display()  # type: ignore[attr-defined]
    meta = f"{person(comment.author)} · {when(comment.created_at)} · {status}"
    if comment.revision_id != revision.pk:
        meta += " · " + _("from revision %(number)d") % {"number": comment.revision.number}
    if note:
        meta += f" · {note}"
    indent = 8 * mm if comment.parent_id else 0
    head = ParagraphStyle("c-meta", parent=STYLES["meta"], leftIndent=indent)
    body = ParagraphStyle("c-body", parent=STYLES["body"], leftIndent=indent)
    return [Paragraph(text(meta), head), Paragraph(text(comment.body), body)]


def comments_section(
    listed: list[tuple[str, Comment]], revision: Revision, image: DossierMap | None
) -> list[Flowable]:
    """The thread as the reader reads it (`reading_order` of `thread_of`: never comments of
    revisions hidden from them), located comments with their pin on `image`."""
    heading = Paragraph(text(_("Comments")), STYLES["h2"])
    if not listed:
        return [heading, para(_("No comments."), "body")]
    flowables: list[Flowable] = [heading]
    for label, comment in listed:
        flowables += comment_flowables(comment, revision, pin_note(label, comment, image))
    return flowables


def decision_section(revision: Revision, document_url: str | None = None) -> list[Flowable]:
    """The decision as recorded; `document_url` links the signed decision when there is one."""
    if revision.decided_at is None and not revision.decision_number:
        return []
    decided_by = person(revision.decided_by) if revision.decided_by else "–"
    # The same field holds an approval's note and the reason of a change request or rejection.
    note_label = _("Note") if revision.approved_at else _("Reason")
    pairs = [
        (_("Decision"), revision.get_state_display()),  # type: ignore[attr-defined]
        (_("Decision number"), revision.decision_number or "–"),
        (_("Decision date"), when(revision.decision_date)),
        (_("Signer"), revision.decision_signer or "–"),
        (_("Decided by"), decided_by),
        (_("Decided at"), when(revision.decided_at)),
        (note_label, revision.decision_note or "–"),
    ]
    rows = [[para(label, "head"), para(value)] for label, value in pairs]
    if document_url:
        link = f'<a href="{escape(document_url, {chr(34): "&quot;"})}" color="blue">'
        link += f"{text(document_url)}</a>"
        rows.append([para(_("Signed decision (PDF)"), "head"), Paragraph(link, STYLES["cell"])])
    table = Table(rows, colWidths=[40 * mm, FRAME_WIDTH - 40 * mm])
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return [KeepTogether([Paragraph(text(_("Decision")), STYLES["h2"]), table])]


# --- the document ---------------------------------------------------------------------------


def build_dossier(revision: Revision, user, document_url: str | None = None) -> bytes:
    """The dossier PDF of `revision` as `user` may read it, in the active language;
    `document_url` is the absolute URL of its signed decision, if any."""
    register_fonts()
    buffer = io.BytesIO()
    project = revision.project
    title = _("Review dossier") + f" – {project.code} r{revision.number}"
    generated = _("Generated %(when)s") % {"when": when(timezone.now())}
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        subject=project.name,
        creator="planning-server",
    )

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(MARGIN, 8 * mm, f"{title} · {generated}")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 8 * mm, str(doc.page))
        canvas.restoreState()

    # One reading of the thread for the map's pins and the comments section alike.
    listed = reading_order(thread_of(revision, user))
    image = dossier_map(revision, listed)
    story = [
        *title_block(revision),
        *map_section(image),
        *raster_section(revision),
        *balance_section(balance_of(revision)),
        *qa_section(revision),
        *comments_section(listed, revision, image),
        *decision_section(revision, document_url),
    ]
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --- endpoint -------------------------------------------------------------------------------


@require_safe
def dossier_pdf(request: HttpRequest, revision_id: int) -> HttpResponseBase:
    """GET /api/revisions/<id>/dossier.pdf: the dossier of a revision the caller may see."""
    try:
        user = service_user(request)
        revision = (
            visible_revisions(user)
            .select_related("project", "decided_by")
            .filter(pk=revision_id)
            .first()
        )
        if revision is None:
            raise NotFound(_("No such revision."))
    except PlanningError as exc:
        return http_cache.json_error(exc)
    document_path = decision_document_path(revision)
    document_url = request.build_absolute_uri(document_path) if document_path else None
    pdf = build_dossier(revision, user, document_url)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"dossier-{revision.project.code}-r{revision.number}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Shared caches may keep only a dossier that reads the same for every caller: a published
    # plan whose thread carries no comment hidden from anyone (not an answer to a change
    # request, whose remarks only the project reads).
    public = thread_is_public(revision) and not is_private(user)
    response["Cache-Control"] = (
        f"public, max-age={http_cache.PUBLIC_MAX_AGE}" if public else http_cache.PRIVATE
    )
    return response
