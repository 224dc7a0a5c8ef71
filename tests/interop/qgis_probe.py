"""Run by Debian's /usr/bin/python3 (python3-qgis), not by the test runner's Python: loads
the server's WMS and WFS with QGIS's own providers and prints what QGIS sees as JSON."""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsRasterLayer, QgsVectorLayer


def main(base: str) -> None:
    app = QgsApplication([], False)
    app.initQgis()
    wms = QgsRasterLayer(
        f"crs=EPSG:3857&format=image/png&layers=plans&styles=&url={base}/wms", "plans", "wms"
    )
    wfs = QgsVectorLayer(
        f"url='{base}/wfs' typename='planning:landuse' version='2.0.0' srsname='EPSG:9214'",
        "landuse",
        "WFS",
    )
    features = list(wfs.getFeatures()) if wfs.isValid() else []
    print(
        json.dumps(
            {
                "wms_valid": wms.isValid(),
                "wms_crs": wms.crs().authid(),
                "wfs_valid": wfs.isValid(),
                "wfs_crs": wfs.crs().authid(),
                "features": [
                    {
                        "code": f["code"],
                        "function": f["function"],
                        "x": f.geometry().centroid().asPoint().x(),
                        "y": f.geometry().centroid().asPoint().y(),
                    }
                    for f in features
                ],
            }
        )
    )
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1])
