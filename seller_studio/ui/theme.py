"""A dark theme that reads well on a laptop screen for hours: Fusion style, muted greys, one accent."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#3d8bfd"
LIVE_RED = "#e5484d"
GOOD = "#30a46c"
WARN = "#f5a524"
BAD = "#e5484d"

STYLE = f"""
QWidget {{ font-size: 10pt; }}
QMainWindow::separator {{ background: #202226; width: 4px; height: 4px; }}
QDockWidget {{ color: #c8ccd2; font-weight: 600; }}
QDockWidget::title {{ background: #24262b; padding: 5px 8px; }}
QToolTip {{ background: #2b2e34; color: #e8eaed; border: 1px solid #44484f; padding: 4px; }}
QPushButton {{ background: #2e3238; border: 1px solid #41464e; border-radius: 4px; padding: 5px 12px; }}
QPushButton:hover {{ background: #383d45; }}
QPushButton:checked {{ background: {ACCENT}; border-color: {ACCENT}; color: white; }}
QPushButton:disabled {{ color: #6b7079; }}
QPushButton#goLive {{ background: {ACCENT}; border-color: {ACCENT}; color: white; font-weight: 700;
                      font-size: 12pt; padding: 8px 18px; }}
QPushButton#goLive[live="true"] {{ background: {LIVE_RED}; border-color: {LIVE_RED}; }}
QPushButton#record:checked {{ background: {LIVE_RED}; border-color: {LIVE_RED}; }}
QPushButton#sceneButton {{ min-width: 90px; padding: 8px 12px; }}
QPushButton#sceneButton[onAir="true"] {{ border: 2px solid {LIVE_RED}; }}
QScrollArea#sceneBar {{ background: transparent; }}
QLabel#stageLabel {{ color: #aeb3ba; font-weight: 600; }}
QLabel#stageLabel[onAir="true"] {{ color: {LIVE_RED}; }}
QPushButton#transition {{ padding: 8px 10px; font-weight: 700; }}
QLabel#elapsed {{ font-family: monospace; font-size: 13pt; font-weight: 700; }}
QLabel#countdown {{ font-size: 96pt; font-weight: 800; color: white; background: rgba(0,0,0,120);
                    border-radius: 24px; padding: 0 40px; }}
QFrame#banner {{ background: #5b3a00; border: 1px solid {WARN}; border-radius: 4px; }}
QFrame#noticeBar {{ background: #26364f; border: 1px solid {ACCENT}; border-radius: 4px; }}
QListWidget, QLineEdit, QComboBox, QSpinBox, QKeySequenceEdit, QTableWidget {{
    background: #1b1d21; border: 1px solid #3a3e45; border-radius: 3px; padding: 2px; }}
QStatusBar {{ background: #1b1d21; color: #aeb3ba; }}
QStatusBar QLabel {{ padding: 0 8px; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    base, window, text = QColor("#1b1d21"), QColor("#202226"), QColor("#e3e5e8")
    pal.setColor(QPalette.ColorRole.Window, window)
    pal.setColor(QPalette.ColorRole.WindowText, text)
    pal.setColor(QPalette.ColorRole.Base, base)
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#24262b"))
    pal.setColor(QPalette.ColorRole.Text, text)
    pal.setColor(QPalette.ColorRole.Button, QColor("#2e3238"))
    pal.setColor(QPalette.ColorRole.ButtonText, text)
    pal.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#2b2e34"))
    pal.setColor(QPalette.ColorRole.ToolTipText, text)
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#7d828a"))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7079"))
    app.setPalette(pal)
    app.setStyleSheet(STYLE)
