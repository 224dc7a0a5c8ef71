"""Pages of the rasters app: upload into a draft, and the georeferencing page.

The upload runs as a background job (rasters.jobs): the page stores the file, queues the
job and answers at once with a redirect to itself (?job=<id>), where its script follows
the job (progress, Cancel) through the job API and then links to the raster.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from planning import visibility
from planning.crs import proj4_for
from planning.errors import PlanningError
from planning.jobs import can_see
from planning.jobs_api import job_dict, job_labels
from planning.models import Job, Revision
from rasters.georeferencing import accuracy_json
from rasters.jobs import KIND, submit_raster_job
from rasters.models import RasterKind
from rasters.removal import remove_raster
from rasters.visibility import visible_rasters
from webmap.mapconfig import control_labels

# The page's map, where the planner may click a point's place, is in web mercator; the
# page converts the click into the storage CRS, where points are typed, shown and sent.
CLICK_CRS = "EPSG:3857"


class RasterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Image"),
        help_text=gettext_lazy(
            "GeoTIFF; or a TIFF, JPEG or PNG zipped with its world file (.tfw, .jgw, .pgw, "
            ".wld), .aux.xml or .prj; or a scan without georeference (placed next)."
        ),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RasterKind.choices)
    crs = forms.CharField(
        label=gettext_lazy("Coordinate reference system"),
        required=False,
        help_text=gettext_lazy("Only when the file does not say, e.g. EPSG:9214."),
    )
    scan_date = forms.DateField(
        label=gettext_lazy("Scan or survey date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@login_required
def upload_page(request: HttpRequest, revision_id: int) -> HttpResponse:
    revisions = visibility.visible_revisions(request.user).select_related("project")
    revision = get_object_or_404(revisions, pk=revision_id)
    form = RasterUploadForm(request.POST or None, request.FILES or None)
    rasters = visible_rasters(request.user).filter(revision=revision).order_by("id")
    job = _shown_job(request, revision)
    context = {
        "form": form,
        "revision": revision,
        "project": revision.project,
        "rasters": rasters,
        # Placing and removing are a draft's, by its planners (the pages refuse the rest).
        "can_edit": visibility.can_edit(request.user, revision),
        "job": job,
        "config": _page_config(job),
    }
    if request.method != "POST":
        return render(request, "rasters/upload.html", context)
    if not form.is_valid():
        return render(request, "rasters/upload.html", context, status=400)
    data = form.cleaned_data
    try:
        job = submit_raster_job(
            user=request.user,
            revision=revision,
            upload=data["file"],
            name=data["name"],
            kind=data["kind"],
            crs=data["crs"] or None,
            scan_date=data["scan_date"],
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
    except PlanningError as exc:
        form.add_error(None, exc.message)
        return render(request, "rasters/upload.html", context, status=exc.status)
    return redirect(f"{reverse('raster-upload', args=[revision.pk])}?job={job.pk}")


@login_required
def remove_page(request: HttpRequest, raster_id: int) -> HttpResponse:
    """Asks before removing a raster from its draft (GET), removes it (POST)."""
    raster = get_object_or_404(
        visible_rasters(request.user).select_related("revision__project"), pk=raster_id
    )
    revision = raster.revision
    back = reverse("raster-upload", args=[revision.pk])
    context = {"raster": raster, "revision": revision, "project": revision.project, "back": back}
    if request.method != "POST":
        return render(request, "rasters/remove.html", context)
    try:
        remove_raster(request.user, raster, request.META.get("REMOTE_ADDR"))
    except PlanningError as exc:
        return render(request, "rasters/remove.html", {**context, "error": exc.message},
                      status=exc.status)  # fmt: skip
    return redirect(back)


def _shown_job(request: HttpRequest, revision: Revision) -> Job | None:
    """The raster import job of ?job=<id>, when it imports into this revision and the
    caller may see it; any other value shows no job."""
    value = request.GET.get("job", "")
    if not (value.isascii() and value.isdecimal()) or len(value) > 18:  # not "²"
        return None
    job = Job.objects.select_related("revision").filter(pk=int(value), kind=KIND, revision=revision)
    found = job.first()
    return found if found is not None and can_see(request.user, found) else None


def _page_config(job: Job | None) -> dict:
    """What the page's script needs to follow the job (its state, URLs and labels), and
    the job's state as the page shows it before the script runs."""
    labels = _job_labels()
    status = ""
    if job is not None:
        status = labels.get(job.state, job.state)
        if job.message and job.state in ("running", "failed"):
            status = f"{status} {job.message}"
    return {
        "job": job_dict(job) if job is not None else None,
        "status": status,
        "urls": {"job": "/api/jobs/{id}/", "cancel": "/api/jobs/{id}/cancel/"},
        "labels": labels,
    }


def _job_labels() -> dict[str, str]:
    return {
        **job_labels(),
        "requestFailed": _("The server could not be reached. Try again."),
        "imported": _("The raster “%(name)s” is imported."),
        "placeIt": _("The image has no georeference: add control points to place it."),
    }


@login_required
def georeference_page(request: HttpRequest, raster_id: int) -> HttpResponse:
    raster = get_object_or_404(
        visible_rasters(request.user).select_related("revision__project"), pk=raster_id
    )
    project = raster.revision.project
    accuracy = accuracy_json(raster)
    grid = _grid_crs()
    config = {
        "raster": {
            "id": raster.pk,
            "name": raster.name,
            "width": raster.width,
            "height": raster.height,
        },
        "controlPoints": _saved_points(raster, accuracy, grid["code"]),
        "rmsPixels": raster.rms_error_pixels,
        "accuracy": accuracy,
        "clickCrs": CLICK_CRS,
        "placed": bool(raster.cog_path),
        "order": raster.transform_order or 1,
        "storageCrs": grid["code"],
        "grid": grid,
        "canEdit": visibility.can_edit(request.user, raster.revision),
        "boundary": _boundary_extent(raster.revision),
        "urls": {
            "image": reverse("raster-image", args=[raster.pk]),
            "georeference": reverse("raster-georeference", args=[raster.pk]),
            "tiles": "/tiles/{layer}/{z}/{x}/{y}.png",
            "map": f"{reverse('webmap:map')}?revision={raster.revision_id}",
        },
        "labels": {
            "controls": control_labels(),
            "clickImage": _("Click a point on the scan."),
            "clickMap": _(
                "Now click the same point on the map, or type its coordinates in the table."
            ),
            "eastingOf": _("E of point %(number)s"),
            "northingOf": _("N of point %(number)s"),
            # the CAD page's words for a number typed the other language's way
            "numberMalformed": _(
                "%(field)s: “%(text)s” is not a number. Write it like %(example)s: “%(group)s” "
                "between the thousands, “%(decimal)s” before the decimals."
            ),
            "fixNumbers": _("Correct the numbers marked in the table first: nothing was sent."),
            "needPoints": _("Affine needs 3 points, polynomial 6."),
            "done": _("Placed. RMS error: %(rms)s m on the ground (%(pixels)s pixels)."),
            "error": _(
                "Standard error of a point (the value compared with the plan's scale): %(error)s m."
            ),
            "tolerance": _("A 1:%(scale)s plan can show %(tolerance)s m on the ground."),
            "outlier": _("outlier"),
            "remove": _("Remove"),
            "failed": _("Georeferencing failed"),
        },
    }
    grid_name = f"{grid['name']}, {grid['code']}"
    return render(
        request,
        "rasters/georeference.html",
        {"raster": raster, "project": project, "config": config, "grid_crs": grid_name},
    )


def _grid_crs() -> dict[str, str]:
    """The storage CRS, where the page's E/N are typed, shown and sent: its code, name and
    the PROJ definition the page's proj4 converts map clicks with. The VN-2000 ones carry
    the official +towgs84 shift (planning.crs), so a click lands where the server puts it;
    the server is the one source of that shift."""
    from pyproj import CRS

    srid = settings.PLANNING_STORAGE_SRID
    crs = CRS.from_epsg(srid)
    return {"code": f"EPSG:{srid}", "name": crs.name, "proj4": proj4_for(srid) or crs.to_proj4()}


def _saved_points(raster, accuracy: dict | None, grid_code: str) -> list[dict]:
    """The control points of the last placement with their x/y (E/N) in the storage CRS
    `grid_code`, where the page shows and sends them: they are stored in the placed
    raster's CRS (the storage CRS when placed on this page; another through the API),
    moved with the VN-2000 shift that placed them. Each keeps its residual on the ground
    and whether it is an outlier (`accuracy`)."""
    saved = [p for p in raster.control_points or [] if isinstance(p, dict)]
    if not saved or not raster.crs_wkt:
        return []
    from pyproj import CRS

    from rasters import georef

    points = [georef.ControlPoint(p["col"], p["row"], p["x"], p["y"]) for p in saved]
    in_grid = georef.moved(points, CRS.from_wkt(raster.crs_wkt), CRS.from_user_input(grid_code))
    ground = accuracy["residuals_m"] if accuracy else [None] * len(saved)
    outliers = set(accuracy["outliers"]) if accuracy else set()
    return [
        {
            "col": m.col,
            "row": m.row,
            "x": m.x,
            "y": m.y,
            "residual": p.get("residual"),
            "residual_m": residual_m,
            "residual_pixels": p.get("residual_pixels"),
            "outlier": number in outliers,
        }
        for number, (p, m, residual_m) in enumerate(zip(saved, in_grid, ground, strict=True), 1)
    ]


def _boundary_extent(revision) -> list[float] | None:
    """The project's outline's extent in EPSG:3857, from PostGIS, to open the map there.
    The page shows only rasters its user may see, so the revision's boundary layer counts."""
    from django.db import connection

    from planning.outline import outline

    boundary = outline(revision.project_id, revision.pk)
    if boundary is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Transform(%s::geometry, 3857) AS e) t",
            [boundary.ewkt],
        )
        return [float(v) for v in cursor.fetchone()]
