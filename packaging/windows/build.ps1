# Build the Windows installer: the PyInstaller bundle, then Inno Setup.
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
# Needs: a Python with mailgui and PyInstaller installed (pip install -e .[package]; set
# $env:PYTHON to choose it), and Inno Setup 6.3+ (iscc on PATH or in its default folder).
# Output: dist\mailgui\ (bundle) and dist\mailgui-<version>-setup.exe.
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
$Python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
Set-Location $Root

$Version = & $Python -c "import importlib.metadata as m; print(m.version('mailgui'))"
if ($LASTEXITCODE -ne 0) { throw "mailgui is not installed in $Python" }
Write-Host "building mailgui $Version"

$timer = [Diagnostics.Stopwatch]::StartNew()
& $Python -m PyInstaller --noconfirm --clean --log-level WARN `
    --distpath "$Root\dist" --workpath "$Root\build\pyinstaller" packaging\mailgui.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
$bytes = (Get-ChildItem -Recurse -File "$Root\dist\mailgui" | Measure-Object -Sum Length).Sum
Write-Host ("bundle: dist\mailgui {0:N0} MB, built in {1:N0} s" -f ($bytes / 1MB), $timer.Elapsed.TotalSeconds)

$Iscc = (Get-Command iscc -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
if (-not (Test-Path $Iscc)) { throw "Inno Setup's iscc not found (choco install innosetup)" }
& $Iscc /Q "/DAppVersion=$Version" packaging\windows\mailgui.iss
if ($LASTEXITCODE -ne 0) { throw "iscc failed" }
$Setup = "$Root\dist\mailgui-$Version-setup.exe"
Write-Host ("installer: {0} {1:N1} MB" -f $Setup, ((Get-Item $Setup).Length / 1MB))
