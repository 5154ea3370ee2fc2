<#
.SYNOPSIS
Builds Pennant's Windows installer from a clean checkout:
dist\Pennant-<version>-windows-x64-setup.exe.

.DESCRIPTION
1. creates a virtual environment (build\venv-windows) with the given Python (3.11, 64-bit) and
   installs Pennant with its "package" extra (PyInstaller, Pillow);
2. draws the icons (packaging\icons.py) and builds the one-dir bundle dist\pennant\ with
   PyInstaller (packaging\pennant.spec);
3. runs dist\pennant\pennant-cli.exe --selftest on the desktop and stops if it fails;
4. signs Pennant.exe and pennant-cli.exe when a code-signing certificate is given (below);
5. compiles packaging\windows\pennant.iss with Inno Setup 6 (ISCC.exe) and signs the setup too;
6. prints the sizes of the bundle and the setup.

Needs: Python 3.11 x64 from python.org (or actions/setup-python), Inno Setup 6.3 or newer
(ISCC.exe on PATH or in its default folder), and for signing the Windows SDK's signtool.exe.

Signing (optional): set WINDOWS_CERT_PFX_BASE64 (the .pfx file, base64-encoded) and
WINDOWS_CERT_PASSWORD. Without them the build is unsigned and says so. The certificate is written
to a temporary file only while signing and deleted afterwards.

If packaging\windows\vc_redist.x64.exe exists (the release workflow downloads it from
https://aka.ms/vs/17/release/vc_redist.x64.exe), the setup carries it and offers to install the
Visual C++ runtime where it is missing.

.PARAMETER Python
The Python interpreter that creates the virtual environment (default: python on PATH).

.EXAMPLE
powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#>
[CmdletBinding()]
param(
    [string]$Python = 'python'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$Root = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
$Dist = Join-Path $Root 'dist'
$Bundle = Join-Path $Dist 'pennant'
$Venv = Join-Path $Root 'build\venv-windows'
$VenvPython = Join-Path $Venv 'Scripts\python.exe'
$Script = Join-Path $PSScriptRoot 'pennant.iss'
$TimestampUrl = 'http://timestamp.digicert.com'

function Write-Step([string]$Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

# Runs a native program and stops the build when it exits non-zero (PowerShell itself does not).
function Invoke-Native {
    param([Parameter(Mandatory)][string]$FilePath, [string[]]$Arguments = @())
    & $FilePath @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "$([IO.Path]::GetFileName($FilePath)) exited with status $LASTEXITCODE"
    }
}

function Find-Tool {
    param([string]$Name, [string[]]$Candidates)
    $onPath = Get-Command $Name -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    foreach ($candidate in $Candidates) {
        if ($candidate -and (Test-Path $candidate)) { return $candidate }
    }
    return $null
}

function Find-SignTool {
    $onPath = Get-Command 'signtool.exe' -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    # The Windows SDK keeps one signtool per SDK version; take the newest x64 one.
    $kits = Join-Path ${env:ProgramFiles(x86)} 'Windows Kits\10\bin'
    if (Test-Path $kits) {
        $found = Get-ChildItem -Path $kits -Filter 'signtool.exe' -Recurse -ErrorAction SilentlyContinue |
            Where-Object { $_.Directory.Name -eq 'x64' } |
            Sort-Object { $_.Directory.Parent.Name -as [version] } -Descending |
            Select-Object -First 1
        if ($found) { return $found.FullName }
    }
    return $null
}

function Format-Size([long]$Bytes) {
    return ('{0:N1} MB' -f ($Bytes / 1MB))
}

Push-Location $Root
try {
    # ------------------------------------------------------------------ Python environment
    Write-Step "Python environment ($Venv)"
    $pythonCommand = Get-Command $Python -ErrorAction SilentlyContinue
    if (-not $pythonCommand) {
        throw "Python not found ('$Python'). Install Python 3.11 (64-bit) from python.org, or pass -Python C:\path\to\python.exe"
    }
    # (no double quotes inside native arguments: Windows PowerShell 5.1 would strip them)
    Invoke-Native $pythonCommand.Source @('-c', 'import struct, sys; sys.exit(0 if sys.version_info >= (3, 11) and struct.calcsize(''P'') == 8 else ''Python 3.11 or newer, 64-bit, is required; found '' + sys.version)')
    if (-not (Test-Path $VenvPython)) {
        Invoke-Native $pythonCommand.Source @('-m', 'venv', $Venv)
    }
    Invoke-Native $VenvPython @('-m', 'pip', 'install', '--quiet', '--upgrade', 'pip')
    Invoke-Native $VenvPython @('-m', 'pip', 'install', '--quiet', '.[package]')

    $Version = (& $VenvPython (Join-Path $Root 'packaging\meta.py') 'version').Trim()
    if ($LASTEXITCODE -ne 0 -or -not $Version) { throw 'packaging\meta.py could not read the version from pyproject.toml' }
    $NumericVersion = (& $VenvPython (Join-Path $Root 'packaging\meta.py') 'numeric_version').Trim()
    if ($LASTEXITCODE -ne 0 -or -not $NumericVersion) { throw 'packaging\meta.py could not compute the numeric version' }
    Write-Host "Pennant $Version ($NumericVersion)"

    # ------------------------------------------------------------------ icons and bundle
    Write-Step 'Icons (packaging\icons.py)'
    $env:QT_QPA_PLATFORM = 'offscreen'  # drawing icons needs no screen
    Invoke-Native $VenvPython @((Join-Path $Root 'packaging\icons.py'))
    Remove-Item Env:QT_QPA_PLATFORM  # the self-test runs on the real desktop, as users will

    Write-Step 'PyInstaller bundle (dist\pennant)'
    Invoke-Native $VenvPython @('-m', 'PyInstaller', '--noconfirm', '--clean',
        '--distpath', $Dist, '--workpath', (Join-Path $Root 'build\pyinstaller'),
        (Join-Path $Root 'packaging\pennant.spec'))
    $Gui = Join-Path $Bundle 'Pennant.exe'
    $Cli = Join-Path $Bundle 'pennant-cli.exe'
    foreach ($exe in @($Gui, $Cli)) {
        if (-not (Test-Path $exe)) { throw "PyInstaller did not produce $exe" }
    }

    # ------------------------------------------------------------------ self-test
    Write-Step 'Self-test of the bundle (pennant-cli.exe --selftest)'
    Invoke-Native $Cli @('--selftest')

    # ------------------------------------------------------------------ signing set-up
    $PfxFile = $null
    $SignTool = $null
    if ($env:WINDOWS_CERT_PFX_BASE64 -and $env:WINDOWS_CERT_PASSWORD) {
        $SignTool = Find-SignTool
        if (-not $SignTool) {
            throw 'WINDOWS_CERT_PFX_BASE64 is set but signtool.exe was not found (install the Windows SDK)'
        }
        $PfxFile = Join-Path ([IO.Path]::GetTempPath()) ("pennant-sign-{0}.pfx" -f [guid]::NewGuid())
        [IO.File]::WriteAllBytes($PfxFile, [Convert]::FromBase64String($env:WINDOWS_CERT_PFX_BASE64))
        Write-Host "Signing with the certificate from WINDOWS_CERT_PFX_BASE64 ($SignTool)"
    } else {
        Write-Host 'WINDOWS_CERT_PFX_BASE64 / WINDOWS_CERT_PASSWORD not set: skipping code signing, the build is unsigned.' -ForegroundColor Yellow
    }

    function Invoke-Sign([string[]]$Files) {
        if (-not $PfxFile) { return }
        # SHA-256 file digest, RFC 3161 timestamp (SHA-256) so the signature outlives the certificate.
        Invoke-Native $SignTool (@('sign', '/f', $PfxFile, '/p', $env:WINDOWS_CERT_PASSWORD,
            '/fd', 'sha256', '/tr', $TimestampUrl, '/td', 'sha256', '/d', 'Pennant') + $Files)
        Invoke-Native $SignTool (@('verify', '/pa') + $Files)
    }

    try {
        Invoke-Sign @($Gui, $Cli)

        # -------------------------------------------------------------- installer
        Write-Step 'Installer (Inno Setup)'
        $Iscc = Find-Tool 'ISCC.exe' @(
            (Join-Path ${env:ProgramFiles(x86)} 'Inno Setup 6\ISCC.exe'),
            (Join-Path $env:ProgramFiles 'Inno Setup 6\ISCC.exe'),
            (Join-Path $env:LOCALAPPDATA 'Programs\Inno Setup 6\ISCC.exe'))
        if (-not $Iscc) {
            throw 'Inno Setup 6 (ISCC.exe) not found on PATH or in "Program Files (x86)\Inno Setup 6". Install Inno Setup 6.3 or newer from https://jrsoftware.org/isdl.php (or: choco install innosetup).'
        }
        if (Test-Path (Join-Path $PSScriptRoot 'vc_redist.x64.exe')) {
            Write-Host 'vc_redist.x64.exe found: the setup will carry the Visual C++ runtime installer'
        } else {
            Write-Host 'vc_redist.x64.exe not found next to pennant.iss: the setup will only point to Microsoft''s download page when the runtime is missing'
        }
        Invoke-Native $Iscc @('/Qp', "/DAppVersion=$Version", "/DAppNumericVersion=$NumericVersion",
            "/DSourceDir=$Bundle", "/DOutputDir=$Dist",
            "/DIconFile=$(Join-Path $Root 'build\icons\pennant.ico')", $Script)
        $Setup = Join-Path $Dist "Pennant-$Version-windows-x64-setup.exe"
        if (-not (Test-Path $Setup)) { throw "Inno Setup did not produce $Setup" }
        Invoke-Sign @($Setup)
    } finally {
        if ($PfxFile -and (Test-Path $PfxFile)) { Remove-Item -Force $PfxFile }
    }

    # ------------------------------------------------------------------ sizes
    Write-Step 'Artefacts'
    $bundleBytes = (Get-ChildItem -Path $Bundle -Recurse -File | Measure-Object -Property Length -Sum).Sum
    Write-Host ("{0,-45} {1,12}  (unpacked bundle, installed size)" -f 'dist\pennant\', (Format-Size $bundleBytes))
    Write-Host ("{0,-45} {1,12}" -f "dist\$([IO.Path]::GetFileName($Setup))", (Format-Size (Get-Item $Setup).Length))
} finally {
    Pop-Location
}
