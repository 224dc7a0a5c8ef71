"""Hostile vector uploads: an OGR VRT document disguised as an accepted format (security
review F3). GDAL picks a driver by content, and a VRT reads any server file and fetches
URLs. Every entry point must refuse it with a clear 400 before GDAL sees it, nothing of the
secret may come back or reach the database, and no request may leave the server. Genuine
files of every accepted format still import."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyogrio
import pyogrio.errors
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from importers import ogr, ogr_env
from importers.gis_mapping import import_mapped_dataset
from importers.sources import FORMATS, Dataset, format_of
from planning.errors import InvalidInput
from planning.models import Job, Layer
from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, write_vector, zip_dir

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
pytestmark = pytest.mark.django_db
WKT = "POLYGON((561714 1821449, 561814 1821449, 561814 1821549, 561714 1821549, 561714 1821449))"
LOTS = [shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40) for i in range(2)]
DISGUISES = ["lots.geojson", "lots.json", "lots.tab", "lots.mif", "lots.kml"]


class Listener:
    """An HTTP server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                listener.requests.append(f"{self.command} {self.path}")
                body = b"a,b\n1,2\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(body)

            do_GET = do_HEAD = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    with Listener() as running:
        yield running


@pytest.fixture
def secret(tmp_path) -> tuple[Path, str]:
    """A server file with a known secret line (standing in for var/database_url)."""
    text = f"SECRET-{uuid.uuid4().hex}"
    path = tmp_path / "server" / "database_url.csv"
    path.parent.mkdir()
    path.write_text(f"{text},other\n{text}-row,2\n")
    return path, text


def vrt(source: str, layer: str) -> bytes:
    """The reviewer's payload: the source's header becomes field names, rows become rows."""
    return f"""<OGRVRTDataSource>
  <OGRVRTLayer name="leak">
    <SrcDataSource>{source}</SrcDataSource>
    <SrcSQL dialect="SQLITE">SELECT *, '{WKT}' AS wkt FROM {layer}</SrcSQL>
    <GeometryField encoding="WKT" field="wkt"/>
  </OGRVRTLayer>
</OGRVRTDataSource>""".encode()


def payloads(secret_path: Path, listener: Listener) -> list[bytes]:
    return [
        vrt(f"CSV:{secret_path}", secret_path.stem),
        vrt(f"CSV:/vsicurl/{listener.url}/x.csv", "x"),
    ]


def hostile_uploads(secret_path: Path, listener: Listener, tmp_path: Path):
    """(file name, bytes) for every disguise, bare and zipped, and both payloads."""
    for index, body in enumerate(payloads(secret_path, listener)):
        for name in DISGUISES:
            yield name, body
            archive = tmp_path / f"zipped-{index}-{name}.zip"
            with zipfile.ZipFile(archive, "w") as handle:
                handle.writestr(f"data/{name}", body)
            yield archive.name, archive.read_bytes()


def stored_anywhere(text: str) -> list[str]:
    """Tables of the whole database in which `text` appears in some row."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT 1 FROM {quoted} t WHERE t::text LIKE %s LIMIT 1", [f"%{text}%"])
            if cursor.fetchone():
                found.append(table)
    return found


def assert_refused(response, name: str, secret_text: str) -> None:
    assert response.status_code == 400, (name, response.content[:300])
    detail = response.json()["detail"]
    assert "is not a valid" in detail, detail
    assert "whatever its name" in detail
    assert secret_text not in response.content.decode()
    assert "other" not in json.dumps(response.json()).replace("otherwise", "")


# --- the reviewer's payloads, through every entry point ----------------------------------


def test_inspect_refuses_disguised_vrts_for_any_signed_in_user(
    client, outsider, secret, listener, tmp_path
):
    secret_path, secret_text = secret
    client.force_login(outsider)
    for name, body in hostile_uploads(secret_path, listener, tmp_path):
        response = client.post(
            "/api/cad/inspect/",
            {"file": SimpleUploadedFile(name, body), "crs": "9214"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert_refused(response, name, secret_text)
    assert listener.requests == []


def test_uploads_api_refuses_disguised_vrts(
    client, planner, draft_plan, secret, listener, tmp_path
):
    secret_path, secret_text = secret
    client.force_login(planner)
    layers = Layer.objects.filter(revision=draft_plan).count()
    for name, body in hostile_uploads(secret_path, listener, tmp_path):
        response = client.post(
            f"/api/revisions/{draft_plan.pk}/uploads/",
            {"file": SimpleUploadedFile(name, body), "kind": "landuse", "name": "x", "crs": "9214"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert_refused(response, name, secret_text)
    assert Layer.objects.filter(revision=draft_plan).count() == layers
    assert stored_anywhere(secret_text) == []
    assert listener.requests == []


def test_job_api_refuses_disguised_vrts_before_queueing(
    client, planner, draft_plan, secret, listener, tmp_path
):
    secret_path, secret_text = secret
    client.force_login(planner)
    jobs = Job.objects.count()
    for name, body in hostile_uploads(secret_path, listener, tmp_path):
        response = client.post(
            f"/api/revisions/{draft_plan.pk}/cad/jobs/",
            {
                "file": SimpleUploadedFile(name, body),
                "mapping": json.dumps({"*": "landuse"}),
                "crs": "9214",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert_refused(response, name, secret_text)
    assert Job.objects.count() == jobs
    assert stored_anywhere(secret_text) == []
    assert listener.requests == []


def test_import_mapped_dataset_refuses_disguised_vrts(
    planner, draft_plan, secret, listener, tmp_path
):
    secret_path, secret_text = secret
    for name, body in hostile_uploads(secret_path, listener, tmp_path):
        path = tmp_path / "upload" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(body)
        with pytest.raises(InvalidInput, match="is not a valid") as refused:
            import_mapped_dataset(
                user=planner,
                revision=draft_plan,
                path=path,
                filename=name,
                mapping={"*": "landuse"},
                crs="9214",
            )
        assert secret_text not in str(refused.value)
    assert stored_anywhere(secret_text) == []
    assert listener.requests == []


# --- the layers behind the content check --------------------------------------------------


def test_pyogrio_has_only_the_upload_formats_drivers():
    drivers = set(pyogrio.list_drivers())
    assert drivers <= ogr_env.ALLOWED_DRIVERS
    assert {"ESRI Shapefile", "GPKG", "GeoJSON", "MapInfo File"} <= drivers
    assert not drivers & {"OGR_VRT", "CSV", "SQLite", "GML", "WFS", "OAPIF", "HTTP", "GDALG"}


def test_gdal_itself_no_longer_opens_a_vrt_or_reads_the_network(secret, listener, tmp_path):
    """Even a path that skipped the content check reaches no VRT driver and no URL."""
    secret_path, _ = secret
    for index, body in enumerate(payloads(secret_path, listener)):
        path = tmp_path / f"direct-{index}.vrt"
        path.write_bytes(body)
        with pytest.raises(pyogrio.errors.DataSourceError):
            pyogrio.read_info(path)
    for url in (f"/vsicurl/{listener.url}/lots.geojson", f"{listener.url}/lots.geojson"):
        with pytest.raises(pyogrio.errors.DataSourceError):
            pyogrio.read_info(url)
    assert listener.requests == []


def test_a_file_opened_by_another_allowed_driver_is_refused(tmp_path):
    """The driver check after opening: GeoJSON bytes handed over as a MapInfo table."""
    geojson = write_vector(tmp_path / "lots.geojson", LOTS, {"code": ["A", "B"]}, driver="GeoJSON")
    disguised = tmp_path / "lots.tab"
    shutil.copy(geojson, disguised)
    dataset = Dataset(disguised, format_of(disguised))  # as if the sniffing had let it by
    with pytest.raises(InvalidInput, match=r"lots\.tab is not a valid MapInfo TAB file"):
        ogr.list_layers(dataset)
    with pytest.raises(InvalidInput, match="not a valid MapInfo TAB"):
        ogr.read_layer(dataset, "lots")


@pytest.mark.parametrize(
    ("name", "body"),
    [
        (
            "lots.kml",
            b'<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>&x;</name>'
            b"</Document></kml>",
        ),
        ("lots.kml", b"<?xml version='1.0'?><OGRVRTDataSource/>"),
        ("lots.geojson", b'<?xml version="1.0"?>\n{"type": "FeatureCollection"}'),
        ("lots.gpkg", b"<OGRVRTDataSource></OGRVRTDataSource>" + b"\0" * 200),
        ("lots.tab", b"!table\n!version 300\nDefinition Table\n  Type SEAMLESS\n"),
        ("lots.mif", b"<GDAL_WMS><Service name='TMS'/></GDAL_WMS>"),
    ],
    ids=["kml-doctype", "kml-vrt", "geojson-xml", "gpkg-xml", "tab-seamless", "mif-xml"],
)
def test_content_that_is_not_the_declared_format_is_refused(client, outsider, name, body):
    client.force_login(outsider)
    response = client.post(
        "/api/cad/inspect/", {"file": SimpleUploadedFile(name, body)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.content
    assert "is not a valid" in response.json()["detail"]
    assert "passwd" not in response.content.decode()


def test_a_shapefile_with_a_foreign_dbf_is_refused(planner, draft_plan, client, tmp_path):
    shp = write_vector(tmp_path / "lots.shp", LOTS, {"code": ["A", "B"]}, driver="ESRI Shapefile")
    (tmp_path / "lots.dbf").write_bytes(b"<OGRVRTDataSource></OGRVRTDataSource>" + b" " * 64)
    archive = zip_dir(shapefile_parts(shp), tmp_path / "lots.zip")
    client.force_login(planner)
    response = client.post(
        f"/api/revisions/{draft_plan.pk}/uploads/",
        {
            "file": SimpleUploadedFile("lots.zip", archive.read_bytes()),
            "kind": "landuse",
            "name": "Lots",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "lots.dbf is not a valid dBase table (.dbf) file" in response.json()["detail"]


# --- genuine files still import -----------------------------------------------------------


def genuine(tmp_path: Path, fmt: str) -> Path:
    fields = {"code": ["A1", "A2"]}
    if fmt == "shp":
        shp = write_vector(tmp_path / "lots.shp", LOTS, fields, driver="ESRI Shapefile")
        return zip_dir(shapefile_parts(shp), tmp_path / "lots.zip")
    if fmt == "tab":
        folder = tmp_path / "tab"
        folder.mkdir()
        write_vector(folder / "lots.tab", LOTS, fields, driver="MapInfo File")
        return zip_dir(sorted(folder.iterdir()), tmp_path / "lots-tab.zip")
    if fmt == "mif":
        folder = tmp_path / "mif"
        folder.mkdir()
        write_vector(folder / "lots.mif", LOTS, fields, driver="MapInfo File", FORMAT="MIF")
        return zip_dir(sorted(folder.iterdir()), tmp_path / "lots-mif.zip")
    if fmt == "kml":
        return write_vector(tmp_path / "lots.kml", LOTS, fields, driver="KML")
    driver = {"geojson": "GeoJSON", "gpkg": "GPKG"}[fmt]
    return write_vector(tmp_path / f"lots.{fmt}", LOTS, fields, driver=driver)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "kml", "shp", "tab", "mif"])
def test_genuine_files_of_every_format_still_import(client, planner, draft_plan, tmp_path, fmt):
    path = genuine(tmp_path, fmt)
    client.force_login(planner)
    response = client.post(
        f"/api/revisions/{draft_plan.pk}/uploads/",
        {
            "file": SimpleUploadedFile(path.name, path.read_bytes()),
            "kind": "landuse",
            "name": "Lots",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 201, response.content[:400]
    layer = Layer.objects.get(pk=response.json()["layer"]["id"])
    assert layer.feature_count == 2


def test_every_accepted_format_has_a_genuine_case():
    assert {suffix for fmt in FORMATS for suffix in fmt.suffixes} == {
        ".shp",
        ".gpkg",
        ".geojson",
        ".json",
        ".kml",
        ".tab",
        ".mif",
    }


@pytest.mark.parametrize(
    "parts",
    [
        ["shp/poly.shp", "shp/poly.shx", "shp/poly.dbf", "shp/poly.PRJ"],
        ["shp/path.shp", "shp/path.shx", "shp/path.dbf", "shp/path.prj", "shp/path.cpg"],
        ["mapinfo/small.mif", "mapinfo/small.mid"],
    ],
    ids=["gdal-poly-shp", "gdal-path-shp", "gdal-small-mif"],
)
def test_real_samples_are_still_inspected(client, outsider, tmp_path, parts):
    archive = zip_dir([SAMPLES / part for part in parts], tmp_path / "sample.zip")
    client.force_login(outsider)
    response = client.post(
        "/api/cad/inspect/",
        {"file": SimpleUploadedFile("sample.zip", archive.read_bytes())},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200, response.content[:400]
    assert response.json()["layers"], response.json()
