"""Entry point of the frozen Seller Studio (PyInstaller runs this instead of the console script).

It calls ``seller_studio.cli.main:entry`` like the ``seller-studio`` console script, plus two things
only a frozen app needs:

- ``sys.executable`` is this program, not a Python: code that starts a child with
  ``[sys.executable, "-m", module, ...]`` (the demo's sandbox platform, bench probes) lands here, so
  ``-m MODULE ARGS`` runs that module as ``__main__``, as Python would.
- The desktop launcher (``SellerStudio.exe`` on Windows, the .app's ``SellerStudio`` on macOS) started
  with no arguments (a double-click) opens the studio window instead of printing the CLI help.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import sys

GUI_LAUNCHER = "sellerstudio"  # the stem of the desktop launcher's file name, lower-cased


def _run() -> int:
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "-m":
        module = args[1]
        sys.argv = [sys.executable, *args[2:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    # macOS may add a "-psn_…" process serial number to a Finder launch: it is not a CLI argument.
    args = [a for a in args if not a.startswith("-psn_")]
    stem = os.path.splitext(os.path.basename(sys.executable))[0].lower()
    if not args and stem == GUI_LAUNCHER:
        args = ["studio"]

    from seller_studio.cli.main import entry

    entry(args)  # exits with the command's code
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(_run())
