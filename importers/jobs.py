"""CAD (and GIS) imports as background jobs: submission from the API and the task body.

The upload is kept under var/jobs/<database>/<job id>/ until the job ends (planning.jobs
removes it whatever the outcome); the task imports it in one transaction, so a failure, a
cancel or a killed worker leaves no layer behind.
"""

from __future__ import annotations

import shutil

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from importers.cad import crs as cad_crs
from importers.cad.convert import check_mapping
from importers.cad.mapping import parse_mapping
from importers.control_points import check_control_points, parse_control_points
from importers.gis_mapping import check_encoding, import_mapped_dataset
from importers.presets import get_preset
from importers.service import _check_permission, check_cad_encoding, import_cad
from importers.sources import check_upload, is_cad
from importers.uploads import check_size, safe_filename, store_for_job
from planning import jobs
from planning.errors import InvalidInput, PlanningError
from planning.models import Job, Revision

KIND = "cad_import"


def resolve_options(
    *,
    mapping: str | dict | None,
    preset: str | None,
    crs: str | None,
    encoding: str | None,
    filename: str = "drawing.dxf",
) -> dict:
    """Mapping, encoding and CRS from the request, a named preset filling what is not given."""
    chosen = get_preset(preset) if preset else None
    if mapping in (None, "") and chosen is None:
        raise InvalidInput(_("Give a layer mapping or the name of a mapping preset."))
    if mapping not in (None, ""):
        parsed = parse_mapping(mapping)
    else:
        parsed = dict(chosen.mapping) if chosen else {}
    check_mapping(parsed)
    encoding = encoding or (chosen.encoding if chosen else "") or "auto"
    if is_cad(filename):
        check_cad_encoding(encoding)
    else:
        check_encoding(encoding)
    crs = crs or (chosen.crs if chosen else "") or None
    return {"mapping": parsed, "encoding": encoding, "crs": cad_crs.normalise_crs(crs)}


def submit_cad_job(
    *,
    user,
    revision: Revision,
    upload: UploadedFile,
    mapping: str | None = None,
    preset: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    control_points=None,
    replace_layers: bool = False,
    replace_layer_ids: list[int] | None = None,
) -> Job:
    """Checks everything that can be checked now, stores the upload, queues the job.
    `replace_layers`: the job removes the draft's earlier layers of the kinds it loads (only
    those of `replace_layer_ids` when given: the ones the planner saw listed)."""
    from django.conf import settings

    from importers.tasks import cad_import

    _check_permission(user, revision)
    options = resolve_options(
        mapping=mapping, preset=preset, crs=crs, encoding=encoding, filename=upload.name or ""
    )
    options["control_points"] = parse_control_points(control_points)
    options["replace_layers"] = bool(replace_layers)
    options["replace_layer_ids"] = None if replace_layer_ids is None else list(replace_layer_ids)
    check_control_points(options["control_points"], options["crs"])  # a typo: 400 now
    check_size(upload)
    stored = safe_filename(upload.name or "upload")
    with transaction.atomic():
        _refuse_a_second_job(revision)
        job = jobs.start_job(
            KIND,
            cad_import,
            user=user,
            revision=revision,
            filename=upload.name or stored,
            stored=stored,
            **options,
        )
        directory = jobs.job_dir(job.pk)
        try:
            path = store_for_job(upload, directory / stored)
            # A file that is not what its name says: 400 now, not a failed job later.
            check_upload(path, upload.name or stored, settings.PLANNING_MAX_UNZIPPED_BYTES)
        except (OSError, PlanningError):
            shutil.rmtree(directory, ignore_errors=True)
            raise
    job.refresh_from_db()
    return job


def _refuse_a_second_job(revision: Revision) -> None:
    """409 while an import of the revision is queued or running (a double click, a second
    tab): it would load the same layers twice."""
    jobs.refuse_when_busy(
        revision,
        KIND,
        1,
        _(
            "An import into this revision is already queued or running; wait for it to "
            "finish (or cancel it) before starting another."
        ),
    )


def run_import_job(job_id: int, *, filename: str, stored: str, **options) -> None:
    """The task body: import the stored upload, report progress, record the result."""
    with jobs.running(job_id) as handle:
        job = Job.objects.select_related("user", "revision").get(pk=job_id)
        if job.revision is None:
            raise InvalidInput(_("The revision of this import no longer exists."))
        path = jobs.job_dir(job_id) / stored
        importer = import_cad if is_cad(filename) else import_mapped_dataset
        result = importer(
            user=job.user,
            revision=job.revision,
            path=path,
            filename=filename,
            mapping=options["mapping"],
            crs=options.get("crs"),
            text_encoding=options.get("encoding") or "auto",
            control_points=options.get("control_points"),
            progress=handle.progress,
            replace_layers=bool(options.get("replace_layers")),  # absent from older jobs
            replace_layer_ids=options.get("replace_layer_ids"),
        )
        handle.report = result.report
        handle.result = {
            "revision": job.revision_id,
            "layers": [
                {
                    "id": layer.pk,
                    "kind": layer.kind,
                    "name": layer.shown_name,  # as replacing.describe names the draft's
                    "feature_count": layer.feature_count,
                }
                for layer in result.layers
            ],
            "replaced_layers": result.report.get("replaced_layers", []),
            # what the draft keeps beside them, a colleague's import included: the page lists
            # it on the next conversion
            "same_kind_layers": result.report.get("same_kind_layers", []),
        }
