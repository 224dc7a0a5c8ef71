"""Benchmark: COG conversion of a 20,000 × 20,000 RGB image, ours against gdal_translate.

Same input, same run, interleaved:
  - ours: rasters.cog.write_cog on the opened GeoTIFF (the import path of a GeoTIFF that
    carries its own georeference: rasterio, GDAL's COG driver, our creation options);
  - `gdal_translate -of COG` with the same creation options (JPEG q90, 512 blocks,
    overviews, all CPUs) and the same GDAL_CACHEMAX.
Each conversion runs in its own child process; its peak RSS comes from os.wait4's rusage.
The input (uncompressed tiled GeoTIFF in EPSG:9214, a smooth orthophoto-like pattern with
noise, about 1.2 GB) is generated once and cached under var/bench/.
Prints both times, the ratio and peak memory; writes bench/results/cog_convert.json.
Usage: .venv/bin/python bench/cog_convert.py [--size N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planning.settings")

CACHE_MB = 256  # GDAL_CACHEMAX of both sides (rasters.gdal_env uses the same)


def generate(path: Path, size: int) -> None:
    """An RGB image built strip by strip (bounded memory)."""
    import numpy as np
    import rasterio
    from affine import Affine

    from rasters.gdal_env import safe_env

    rng = np.random.default_rng(42)
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:9214",
        "transform": Affine(0.1, 0, 560000, 0, -0.1, 1823000),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "photometric": "RGB",
    }
    tmp = path.with_suffix(".part")
    strip = 512
    cols = np.arange(size, dtype=np.float32)[None, :]
    with safe_env(), rasterio.open(tmp, "w", **profile) as out:
        for top in range(0, size, strip):
            rows = np.arange(top, min(top + strip, size), dtype=np.float32)[:, None]
            base = 128 + 60 * np.sin(cols / 700.0) * np.cos(rows / 900.0)
            noise = rng.normal(0, 12, (3, rows.shape[0], size)).astype(np.float32)
            bands = np.stack([base, base * 0.8 + 30, 200 - base * 0.5]) + noise
            window = rasterio.windows.Window(0, top, size, rows.shape[0])
            out.write(bands.clip(0, 255).astype(np.uint8), window=window)
    tmp.rename(path)


def _ours(source: str, target: str, compress: str) -> None:
    """The conversion in a child process; its own time (without the interpreter's start)
    goes to target + '.seconds'."""
    import rasterio

    from rasters import cog
    from rasters.gdal_env import safe_env

    start = time.perf_counter()
    with safe_env(), rasterio.open(source) as dataset:
        cog.write_cog(dataset, Path(target), compress=compress)
    Path(target + ".seconds").write_text(str(time.perf_counter() - start))


def _gdal_command(source: Path, target: Path, compress: str) -> list[str]:
    from rasters.cog import creation_options

    options = creation_options("uint8", 3, elevation=False, paletted=False)
    if compress == "DEFLATE":
        options.pop("QUALITY", None)
        options.update(COMPRESS="DEFLATE", PREDICTOR="YES")
    command = ["gdal_translate", "-q", "-of", "COG", "--config", "GDAL_CACHEMAX", str(CACHE_MB)]
    for name, value in options.items():
        command += ["-co", f"{name}={value}"]
    return [*command, str(source), str(target)]


def _measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed with {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def _run_variant(source: Path, work: Path, compress: str, repeat: int, gdal_env) -> dict:
    """Ours and gdal_translate, interleaved, `repeat` times, with one compression."""
    results: dict[str, list[tuple[float, float, int]]] = {"ours": [], "gdal_translate": []}
    ours_out, gdal_out = work / "ours.tif", work / "gdal.tif"
    ours_cmd = [sys.executable, __file__, "--convert", str(source), str(ours_out), compress]
    gdal_cmd = _gdal_command(source, gdal_out, compress)
    for _ in range(repeat):
        for name, command, out, env in (
            ("ours", ours_cmd, ours_out, dict(os.environ)),
            ("gdal_translate", gdal_cmd, gdal_out, gdal_env),
        ):
            out.unlink(missing_ok=True)
            seconds, peak = _measure(command, env)
            inner = out.with_name(out.name + ".seconds")
            if inner.exists():  # ours: the conversion alone, not Python's start-up
                print(f"{compress} {name}: process {seconds:.1f} s", flush=True)
                seconds = float(inner.read_text())
                inner.unlink()
            results[name].append((seconds, peak, out.stat().st_size))
            size_mb = out.stat().st_size >> 20
            print(
                f"{compress} {name}: {seconds:.1f} s, peak {peak:.0f} MB, {size_mb} MB", flush=True
            )
    best = {name: min(runs) for name, runs in results.items()}
    return {
        "ours_s": round(best["ours"][0], 2),
        "gdal_translate_s": round(best["gdal_translate"][0], 2),
        "ratio": round(best["ours"][0] / best["gdal_translate"][0], 3),
        "ours_peak_mb": round(max(r[1] for r in results["ours"])),
        "gdal_translate_peak_mb": round(max(r[1] for r in results["gdal_translate"])),
        "ours_output_mb": best["ours"][2] >> 20,
        "gdal_translate_output_mb": best["gdal_translate"][2] >> 20,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--compress", choices=["JPEG", "DEFLATE", "both"], default="both")
    args = parser.parse_args()
    cache = ROOT / "var" / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    source = cache / f"rgb_{args.size}.tif"
    if not source.exists():
        print(f"generating {source} …", flush=True)
        generate(source, args.size)
    gdal_env = {
        k: v for k, v in os.environ.items() if k not in ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA")
    }
    variants = ["JPEG", "DEFLATE"] if args.compress == "both" else [args.compress]
    summary: dict[str, object] = {"size": args.size, "input_mb": source.stat().st_size >> 20}
    with tempfile.TemporaryDirectory(prefix="bench-cog-", dir=cache) as work:
        for compress in variants:
            summary[compress.lower()] = _run_variant(
                source, Path(work), compress, args.repeat, gdal_env
            )
    summary["gdal_translate_version"] = subprocess.run(
        ["gdal_translate", "--version"], capture_output=True, text=True, env=gdal_env
    ).stdout.strip()
    print(json.dumps(summary, indent=2))
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "cog_convert.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--convert":
        _ours(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
