"""DWG through an external converter found at run time (LibreDWG or ODA File Converter).

DWG is a closed format with no Python reader; converters are optional system tools, so
the server looks for them on each import and otherwise tells the user how to get DXF.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from django.utils.translation import gettext as _

from planning.errors import InvalidInput, UnsupportedFormat

DWG_MAGIC = b"AC10"
ODA_NAMES = ("ODAFileConverter", "ODAFileConverter.exe")


def is_dwg_name(filename: str) -> bool:
    return Path(filename).suffix.lower() == ".dwg"


def check_magic(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(6)
    if not head.startswith(DWG_MAGIC):
        raise InvalidInput(_("The file is not a DWG drawing (no AutoCAD version signature)."))


def to_dxf(path: Path, workdir: Path, timeout: int) -> Path:
    """The DXF converted from a DWG; refuses clearly when no converter is installed."""
    check_magic(path)
    target = workdir / (path.stem + ".dxf")
    dwg2dxf = shutil.which("dwg2dxf")
    oda = next((found for name in ODA_NAMES if (found := shutil.which(name))), None)
    if dwg2dxf:
        command = [dwg2dxf, "-y", "-o", str(target), str(path)]
    elif oda:
        out_dir = workdir / "oda"
        out_dir.mkdir(exist_ok=True)
        command = [oda, str(path.parent), str(out_dir), "ACAD2018", "DXF", "0", "0", path.name]
        target = out_dir / (path.stem + ".dxf")
    else:
        raise UnsupportedFormat(
            _(
                "DWG drawings need a converter, and none is installed on the server "
                "(LibreDWG dwg2dxf or ODA File Converter). Save the drawing as DXF in "
                "AutoCAD (Save As → AutoCAD DXF) or convert it with the free ODA File "
                "Converter, then upload the DXF."
            )
        )
    _run(command, timeout)
    if not target.exists() or target.stat().st_size == 0:
        raise InvalidInput(_("The DWG converter could not read this drawing."))
    return target


def _run(command: list[str], timeout: int) -> None:
    try:
        subprocess.run(command, check=False, capture_output=True, timeout=timeout)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise InvalidInput(
            _("The DWG converter took longer than %(seconds)d s.") % {"seconds": timeout}
        ) from exc
