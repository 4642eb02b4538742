"""The studio window (PySide6). The only package that imports Qt; everything it drives lives in the
Qt-free core (media, platform, show, diagnostics) and reaches widgets through ``bridge.py``."""
