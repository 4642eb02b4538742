# Builds the Windows bundle and installer (run from the repo root in PowerShell; needs Python 3.11+
# from python.org and Inno Setup 6, whose iscc.exe is on PATH or in its default folder).
#   powershell -ExecutionPolicy Bypass -File installers\windows\build.ps1
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
if (-not (Test-Path build\bundle-venv)) { py -3 -m venv build\bundle-venv }
$py = "build\bundle-venv\Scripts\python.exe"
& $py -m pip install -q --upgrade pip
& $py -m pip install -q -r installers\requirements.txt .
& $py -m pip install -q --no-deps --force-reinstall .
if (-not (Test-Path resources\icons\seller-studio.ico)) { & $py resources\make_icons.py }
& build\bundle-venv\Scripts\pyinstaller.exe --noconfirm --distpath dist --workpath build\pyinstaller installers\pyinstaller\seller_studio.spec
$version = & $py -c "from importlib.metadata import version; print(version('seller-studio'))"
& dist\seller-studio\seller-studio.exe --version
$iscc = (Get-Command iscc -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" installers\windows\seller_studio.iss
