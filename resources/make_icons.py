"""Draw the Seller Studio icon at every size the installers need (no downloads, no artwork files).

    python resources/make_icons.py            # PNGs with Qt; .ico and .icns too when Pillow is there

Writes resources/icons/seller-studio-<N>.png (16…1024, each drawn at its own size so the small ones
stay crisp), resources/icons/seller-studio.ico (Windows: 16–256) and resources/icons/seller-studio.icns
(macOS). The icon: a white shopping bag with a "play" mark on a rounded raspberry square.
scripts/build_bundle.sh runs this in its build environment, which has Pillow (installers/requirements.txt).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024]
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
OUT = Path(__file__).resolve().parent / "icons"
TOP, BOTTOM = "#ff4d6d", "#b5173f"


def draw(size: int):
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QImage, QLinearGradient, QPainter, QPainterPath, QPen

    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    margin = s * 0.04 if size >= 32 else 0.0
    tile = QRectF(margin, margin, s - 2 * margin, s - 2 * margin)
    grad = QLinearGradient(tile.topLeft(), tile.bottomLeft())
    grad.setColorAt(0.0, QColor(TOP))
    grad.setColorAt(1.0, QColor(BOTTOM))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(grad))
    p.drawRoundedRect(tile, tile.width() * 0.22, tile.height() * 0.22)

    # Bag handle: a thick white arch above the body.
    pen = QPen(QColor("white"), max(1.5, s * 0.065))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(s * 0.36, s * 0.20, s * 0.28, s * 0.30), 0, 180 * 16)
    # Bag body: a white trapezoid with rounded corners.
    body = QPainterPath()
    body.moveTo(s * 0.25, s * 0.37)
    body.lineTo(s * 0.75, s * 0.37)
    body.lineTo(s * 0.79, s * 0.80)
    body.quadTo(s * 0.795, s * 0.84, s * 0.75, s * 0.84)
    body.lineTo(s * 0.25, s * 0.84)
    body.quadTo(s * 0.205, s * 0.84, s * 0.21, s * 0.80)
    body.closeSubpath()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("white"))
    p.drawPath(body)
    # "Live" play mark inside the bag, in the tile's darker red.
    tri = QPainterPath()
    cx, cy, r = s * 0.505, s * 0.605, s * 0.13
    tri.moveTo(QPointF(cx - r * 0.75, cy - r))
    tri.lineTo(QPointF(cx + r, cy))
    tri.lineTo(QPointF(cx - r * 0.75, cy + r))
    tri.closeSubpath()
    p.setBrush(QColor(BOTTOM))
    p.drawPath(tri)
    p.end()
    return img


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (QPainter needs it)
    OUT.mkdir(parents=True, exist_ok=True)
    pngs = {}
    for size in SIZES:
        path = OUT / f"seller-studio-{size}.png"
        if not draw(size).save(str(path), "PNG"):
            raise SystemExit(f"could not write {path}")
        pngs[size] = path
    print(f"icons: {len(pngs)} PNGs in {OUT}")
    try:
        from PIL import Image
    except ImportError:
        print("icons: Pillow not installed: .ico/.icns not written (pip install -r installers/requirements.txt)")
        return 0
    images = {size: Image.open(path).convert("RGBA") for size, path in pngs.items()}
    # ICO: Pillow writes one entry per size from the largest image; hand it the drawn ones.
    images[256].save(OUT / "seller-studio.ico", format="ICO", sizes=[(n, n) for n in ICO_SIZES],
                     append_images=[images[n] for n in ICO_SIZES if n != 256])
    images[1024].save(OUT / "seller-studio.icns", format="ICNS",
                      append_images=[images[n] for n in (16, 32, 64, 128, 256, 512)])
    print(f"icons: {OUT / 'seller-studio.ico'} and {OUT / 'seller-studio.icns'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
