"""Render resources/icons/pennant.svg into every icon the installers need, under build/icons:

- ``hicolor/<N>x<N>/apps/pennant.png`` for the freedesktop sizes, plus ``scalable``;
- ``pennant.ico`` (Windows: 16–256 px in one file) and ``pennant.icns`` (macOS).

The SVG is drawn by Qt's own renderer (QtSvg, already a dependency); Pillow writes the
multi-resolution .ico and .icns containers, which Qt cannot.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from meta import EXECUTABLE, ROOT

SVG = ROOT / "resources" / "icons" / "pennant.svg"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 96, 128, 256, 512)
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(size: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"icons: cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def to_pillow(image):
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    import io

    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def build(out: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (fonts, DPI)
    if out.exists():
        shutil.rmtree(out)
    for size in HICOLOR_SIZES:
        folder = out / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        if not render(size).save(str(folder / f"{EXECUTABLE}.png"), "PNG"):
            raise SystemExit(f"icons: could not write the {size} px icon")
    scalable = out / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copyfile(SVG, scalable / f"{EXECUTABLE}.svg")

    big = to_pillow(render(1024))
    big.save(out / f"{EXECUTABLE}.ico", sizes=[(s, s) for s in ICO_SIZES])
    icns = [to_pillow(render(s)) for s in ICNS_SIZES]
    icns[-1].save(out / f"{EXECUTABLE}.icns", append_images=icns[:-1])


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"
    build(target)
    print(f"icons written to {target}")
