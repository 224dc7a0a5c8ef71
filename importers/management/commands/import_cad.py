"""manage.py import_cad FILE --project CODE: a DXF (or DWG), or a GIS file (MapInfo
TAB/MIF, a shapefile, GeoPackage ...), into a new draft revision.

GIS files take the mapped import of the API's import jobs (importers.gis_mapping), with
the same mapping, CRS, encoding and two-point options; a bare .shp is zipped with its
sibling parts first, as the upload would be.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import NoReturn

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from importers.cad.guess import IGNORE, guess_mapping
from importers.cad.mapping import BUILDING_LINES
from importers.gis_mapping import import_mapped_dataset
from importers.jobs import resolve_options
from importers.loader import PlacementRefused
from importers.report import localized_cad_report
from importers.service import import_cad, inspect_drawing
from importers.sources import is_cad
from importers.text.vietnamese import ENCODINGS
from planning import staleness
from planning.actions import CreateRevision
from planning.api.errors import problem
from planning.errors import InvalidInput, MissingParameter, NotFound, PlanningError
from planning.layer_kinds import KINDS
from planning.models import Membership, Project
from planning.numbers import localized


class Command(BaseCommand):
    help = (
        "Convert a DXF (or DWG) drawing, or a MapInfo TAB/MIF, shapefile (.shp or zipped) or "
        "other GIS file, into planning layers of a new draft revision."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--project", required=True, help="project code")
        parser.add_argument(
            "--crs",
            help="EPSG code or province:<slug> (default: the drawing's GEODATA or the GIS "
            "file's own CRS, else the storage CRS)",
        )
        parser.add_argument(
            "--mapping",
            help='JSON {"CAD or source layer": "kind"}, a JSON file, or the name of a mapping '
            "preset (default: for a drawing, each layer's kind guessed from its name as the "
            "CAD page does, a layer whose name says nothing ignored; for a GIS file "
            '{"*": "landuse"}); the report shows the mapping used',
        )
        parser.add_argument("--preset", help="name of a mapping preset (mapping, encoding, CRS)")
        parser.add_argument(
            "--encoding",
            choices=["auto", *ENCODINGS],
            help="text encoding (drawings: auto, tcvn3, vni or cp1258)",
        )
        parser.add_argument(
            "--control-points",
            help="two-point fix for local drawings: JSON [[x_cad,y_cad,x_true,y_true],[...]]",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress on stderr")
        parser.add_argument("--user", help="planner username (default: first planner member)")
        parser.add_argument(
            "--json",
            action="store_true",
            help="print the report as JSON, every message in English (stable for scripts)",
        )

    def handle(self, *args, **options):
        # --json is for scripts: all of it in English, warnings written during the import and
        # the error of a failure too
        language = translation.override("en") if options["json"] else nullcontext()
        with language:
            try:
                self._run(options)
            except PlanningError as exc:
                self._fail(exc, options["json"], self._hint(exc, options))
            except Exception:
                if options["json"]:  # a bug or an I/O error: still one answer, the trace below
                    self._write_json(UNEXPECTED)
                raise

    def _run(self, options):
        path = Path(options["file"])
        if not path.is_file():
            raise NotFound(f"No such file: {path}")
        project = Project.objects.filter(code=options["project"]).first()
        if project is None:
            raise NotFound(f"No project with code {options['project']!r}.")
        user = self._user(project, options.get("user"))
        drawing = is_cad(path.name)
        chosen, revision, result = self._import(options, path, project, user, drawing)
        report = result.report if options["json"] else localized_cad_report(result.report)
        self._print(report, revision, options["json"], chosen["mapping"], drawing)

    def _fail(self, error: PlanningError, as_json: bool, hint: str = "") -> NoReturn:
        """A failure exits non-zero with its message on stderr; with --json, stdout holds
        the error as the REST API's body, and nothing else (progress and the log go to
        stderr), so that a script reads one JSON document whatever the outcome."""
        if as_json:
            self._write_json(problem(error))
        raise CommandError(f"{error.message}\n{hint}" if hint else error.message) from error

    def _hint(self, error: PlanningError, options) -> str:
        """The option that fixes a drawing placed outside Viet Nam, which the message names
        in the page's words only (QA walk: a preset keeps no control points)."""
        if isinstance(error, PlacementRefused) and not options.get("control_points"):
            return _(
                "hint: a drawing in local coordinates needs --control-points "
                "'[[x_cad,y_cad,x_true,y_true],[...]]' (two points known in both)"
            )
        return ""

    def _write_json(self, document: dict) -> None:
        self.stdout.write(json.dumps(document, ensure_ascii=False))

    def _import(self, options, path: Path, project, user, drawing: bool):
        importer = import_cad if drawing else import_mapped_dataset
        chosen = self._options(options, path, drawing)
        bar = ProgressBar(self.stderr, enabled=not options["no_progress"])
        # One transaction: a failed conversion leaves no empty draft revision behind.
        with transaction.atomic(), _as_uploaded(path) as (upload, filename):
            revision = CreateRevision(
                user=user,
                project=project,
                note=f"{'CAD' if drawing else 'GIS'}: {path.name}",
                # The file brings the whole plan: prepared on the plan in force (else it
                # could never replace it, planning.staleness), without its layers.
                based_on=staleness.plan_in_force(project.pk),
                copy_layers=False,
            ).execute()
            result = importer(
                user=user,
                revision=revision,
                path=upload,
                filename=filename,
                mapping=chosen["mapping"],
                crs=chosen["crs"],
                text_encoding=chosen["encoding"],
                control_points=options.get("control_points"),
                progress=bar.update,
            )
        bar.done()
        return chosen, revision, result

    def _options(self, options, path: Path, drawing: bool) -> dict:
        """--mapping as JSON or a file; otherwise (or --preset) the name of a preset; neither:
        guessed (drawings) or all land use (GIS files), and said. The encodings allowed
        depend on the file type, as for an import job."""
        mapping, preset = options.get("mapping"), options.get("preset")
        if mapping and not preset and not _is_json_or_file(mapping):
            mapping, preset = None, mapping
        self.mapping_source = "preset" if preset else "option"
        if not mapping and not preset:
            mapping = _guessed_mapping(path) if drawing else GIS_DEFAULT
            self.mapping_source = "guessed" if drawing else "default"
        return resolve_options(
            mapping=mapping,
            preset=preset,
            crs=options.get("crs"),
            encoding=options.get("encoding"),
            filename=path.name,
        )

    def _say_mapping(self, mapping: dict[str, str]) -> None:
        """The mapping the command chose itself, a line per layer: a wrong guess is seen."""
        if self.mapping_source not in ("guessed", "default"):
            return
        self.stdout.write(
            _("Mapping (guessed from the layer names; give --mapping to choose):")
            if self.mapping_source == "guessed"
            else _("Mapping (default; give --mapping to choose):")
        )
        others = _("every other layer")
        for layer, target in mapping.items():
            self.stdout.write(f"  {others if layer == '*' else layer} -> {target}")

    def _user(self, project, username):
        users = get_user_model().objects
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise NotFound(f"No user {username!r}.")
            return user
        member = (
            Membership.objects.filter(project=project, role=Membership.Role.PLANNER)
            .order_by("id")
            .first()
        )
        if member is None:
            raise MissingParameter("The project has no planner; give --user.")
        return member.user

    def _print(
        self, report: dict, revision, as_json: bool, mapping: dict[str, str], drawing: bool
    ) -> None:
        if as_json:
            used = {"mapping": mapping, "mapping_source": self.mapping_source}
            self._write_json({"revision": revision.pk, **used, **report})
            return
        say = self.stdout.write
        say(
            _("Revision %(number)s (id %(id)s) of %(project)s")
            % {"number": revision.number, "id": revision.pk, "project": revision.project.code}
        )
        self._say_mapping(mapping)
        say(
            _("CRS %(crs)s (%(source)s), text %(encoding)s")
            % {
                "crs": report["source_crs"],
                "source": _crs_source_words(report["crs_source"], drawing),
                "encoding": report["text_encoding"] or _("as declared"),
            }
        )
        for kind, count in report["features"].items():
            say(
                f"  {kind}: "
                + ngettext("%(count)d feature", "%(count)d features", count) % {"count": count}
            )
        for layer in report.get("layers", []):  # GIS files: one report per source layer
            say(
                "  "
                + _(
                    "layer %(layer)s: %(loaded)d of %(read)d loaded, missing attributes: %(missing)s"
                )
                % {
                    "layer": layer["source_layer"],
                    "loaded": layer["features_loaded"],
                    "read": layer["features_read"],
                    "missing": ", ".join(layer["missing_attributes"]) or "-",
                }
            )
        warning, note = _("warning"), _("note")
        for line in report["warnings"]:
            say(f"  {warning}: {line}")
        for line in report["notes"]:
            say(f"  {note}: {line}")
        if report["crs_source"] == "default":
            say("  " + _("hint: give --crs (or a preset with a CRS) to choose the CRS"))
        self._say_entries(report)

    def _say_entries(self, report: dict) -> None:
        titles = {
            "skipped": _("skipped"),
            "unclosed": _("unclosed"),
            "label_issues": _("label issues"),
        }
        for key, title in titles.items():
            entries = report[key]
            total = report.get("totals", {}).get(key, len(entries))
            self.stdout.write(f"  {title}: {total}")
            for entry in entries[:LISTED]:
                self.stdout.write(f"    {_entry_line(key, _brief(entry))}")
            if total > LISTED:
                self.stdout.write(
                    "    "
                    + _("... %(more)d more (%(listed)d of them in the --json report)")
                    % {"more": total - LISTED, "listed": len(entries)}
                )


GIS_DEFAULT = {"*": "landuse"}
# What --json prints for a failure that is no PlanningError (its traceback goes to stderr).
UNEXPECTED = {
    "detail": "The import failed unexpectedly; the error output says why.",
    "code": "NoApplicableCode",
}


def _crs_source_words(source: str, drawing: bool) -> str:
    """Where the CRS came from, in the reader's language and in the CAD page's words."""
    if source == "default":
        return (
            _("assumed: the drawing declares none")
            if drawing
            else _("assumed: the file declares none")
        )
    words = {
        "user": _("as chosen"),
        "GEODATA": _("from the drawing's GEODATA"),
        "file": _("declared by the file"),  # a GIS file's .prj, .tab or .mif
    }
    return words.get(source, source)


def _guessed_mapping(path: Path) -> dict[str, str]:
    """Each layer's kind guessed from its name, as the CAD page first fills its selects;
    none guessed: an error naming --mapping, not a drawing sent whole to one layer."""
    layers = inspect_drawing(path, path.name)["layers"]  # as the CAD page lists them
    mapping = guess_mapping(layers, [*KINDS, BUILDING_LINES])
    if all(target == IGNORE for target in mapping.values()):
        names = ", ".join(layer["name"] for layer in layers if layer["total"]) or "-"
        raise InvalidInput(
            _(
                "No layer name suggests a planning layer (layers: %(names)s); give the "
                'mapping, e.g. --mapping \'{"LAYER": "landuse"}\'.'
            )
            % {"names": names}
        )
    return mapping


LISTED = 20  # report entries per list the text output shows
BRIEF_ITEMS, BRIEF_CHARS = 3, 100  # of an entry's lists (refs, texts) and strings


def _entry_line(key: str, entry: dict) -> str:
    """One report entry as a line in the reader's language (the --json report keeps the
    fields): what, on which layer, where, and why."""
    where = _where(entry.get("location"))
    if key == "skipped":
        handle = f" #{entry['handle']}" if entry.get("handle") else ""
        layer = _("layer %(layer)s") % {"layer": entry.get("layer") or "-"}
        return f"{entry.get('type', '')}{handle}, {layer}, {where}: {entry.get('reason', '')}"
    if key == "unclosed":
        length = entry.get("length")
        shown = localized(length, 1) if isinstance(length, int | float) else length
        # in the reader's language: "134.721 m" read 134 thousand metres in Vietnamese
        pieces = _("%(length)s m of lines that close no lot") % {"length": shown}
        refs = ", ".join(str(ref) for ref in entry.get("refs", []))
        return f"{where}: {pieces}" + (f" ({refs})" if refs else "")
    texts = " | ".join(str(text).replace("\n", " / ") for text in entry.get("texts", []))
    return f"{where}: {entry.get('problem', '')}" + (f" «{texts}»" if texts else "")


def _where(location) -> str:
    if not location:
        return _("no location")
    return _("at %(x)s, %(y)s") % {"x": f"{location[0]:.3f}", "y": f"{location[1]:.3f}"}


def _brief(entry: dict) -> dict:
    """An entry for a line of text: a label problem may quote every text of a lot, a
    misjudged mapping hundreds of them; the first few, each clipped, say enough."""

    def clip(value):
        if isinstance(value, str) and len(value) > BRIEF_CHARS:
            return value[: BRIEF_CHARS - 1] + "…"
        if isinstance(value, list) and len(value) > BRIEF_ITEMS:
            return [clip(v) for v in value[:BRIEF_ITEMS]] + [f"+{len(value) - BRIEF_ITEMS}"]
        if isinstance(value, list):
            return [clip(v) for v in value]
        return value

    return {key: clip(value) for key, value in entry.items()}


@contextmanager
def _as_uploaded(path: Path) -> Iterator[tuple[Path, str]]:
    """The file as an upload would bring it: a bare .shp zipped with its sibling parts
    (.shx, .dbf, .prj, .cpg ...), whose absence the importer then names; anything else as is."""
    if path.suffix.lower() != ".shp":
        yield path, path.name
        return
    with tempfile.TemporaryDirectory(prefix="import-cad-") as workdir:
        archive = Path(workdir) / f"{path.stem}.zip"
        with zipfile.ZipFile(archive, "w") as out:
            for part in sorted(path.parent.glob(f"{path.stem}.*")):
                if part.suffix.lower() != ".zip" and part.is_file():
                    out.write(part, part.name)
        yield archive, archive.name


def _is_json_or_file(value: str) -> bool:
    text = value.strip()
    return text.startswith("{") or Path(text).is_file()


def _plain(text: str) -> str:
    """Progress is no error: drawn without the red that stderr's default style adds on a
    terminal."""
    return text


class ProgressBar:
    """Progress on stderr (a command's OutputWrapper): a redrawn bar on a terminal, one
    line per stage otherwise."""

    WIDTH = 30

    def __init__(self, stream, *, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.last = ""

    def update(self, pct: float, message: str) -> None:
        if not self.enabled:
            return
        pct = max(0, min(100, int(pct)))
        if self.tty:
            filled = self.WIDTH * pct // 100
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            line = f"\r[{bar}] {pct:3d}% {message[:40]:<40}"
            self.stream.write(line, style_func=_plain, ending="")
            self.stream.flush()
        elif message != self.last:
            self.stream.write(f"{pct:3d}% {message}", style_func=_plain, ending="\n")
            self.stream.flush()
        self.last = message

    def done(self) -> None:
        self.update(100, _("Done."))
        if self.tty:
            self.stream.write("", style_func=_plain, ending="\n")
