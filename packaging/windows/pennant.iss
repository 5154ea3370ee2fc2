; Pennant: Inno Setup 6 script for the Windows installer (a per-user install, no administrator
; rights needed). Built by packaging\windows\build.ps1, which passes the version from
; pyproject.toml (through packaging\meta.py):
;
;   ISCC.exe /DAppVersion=0.1.0 /DAppNumericVersion=0.1.0.0 /DSourceDir=C:\src\pennant\dist\pennant packaging\windows\pennant.iss
;
; Defines (ISCC /D<name>=<value>):
;   AppVersion         required: the release, e.g. 0.1.0 (`python packaging\meta.py version`)
;   AppNumericVersion  optional: four numbers for the file properties (`meta.py numeric_version`)
;   SourceDir          optional: the PyInstaller one-dir bundle (default ..\..\dist\pennant)
;   OutputDir          optional: where the setup goes (default ..\..\dist)
;   IconFile           optional: the setup's icon (default ..\..\build\icons\pennant.ico,
;                      written by packaging\icons.py)
; Relative paths are relative to this script's folder.
;
; Output: dist\Pennant-<version>-windows-x64-setup.exe
;
; User data: Pennant keeps its settings, order journal and history in the folders platformdirs
; gives it (app "Pennant", no author), which on Windows is %LOCALAPPDATA%\Pennant for both the
; config and the data folder, and its secrets in the Windows Credential Manager. None of that is
; under {app}, and neither the installer nor the uninstaller touches it: an upgrade keeps the
; user's settings, journal and history, and uninstalling leaves them in place (delete
; %LOCALAPPDATA%\Pennant by hand to remove them).

#if VER < EncodeVer(6, 3, 0)
  #error Inno Setup 6.3 or newer is required (this script uses the x64compatible architecture identifier)
#endif

#ifndef AppVersion
  #error AppVersion is not defined: compile with ISCC /DAppVersion=<version> (the version printed by `python packaging/meta.py version`); packaging\windows\build.ps1 does this
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\pennant"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\icons\pennant.ico"
#endif

#define AppName "Pennant"
#define AppExeName "Pennant.exe"
#define AppPublisher "Pennant"
#define AppURL "https://pennant.local/"

; The Microsoft Visual C++ 2015-2022 x64 runtime installer. The release workflow downloads it from
; Microsoft (https://aka.ms/vs/17/release/vc_redist.x64.exe) next to this script; when it is there
; the setup carries it and can install it (see [Code]). Without it the setup only points the user
; to Microsoft's download page.
#define VCRedistFile "vc_redist.x64.exe"
#if FileExists(AddBackslash(SourcePath) + VCRedistFile)
  #define BundleVCRedist
#endif

[Setup]
; The AppId identifies Pennant to Windows across versions (upgrades install over it, the
; uninstaller entry stays one). Never change it. The doubled brace is Inno's escape for "{".
AppId={{801AAB0F-085F-42CA-AA06-8C83D155CF83}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppPublisherURL={#AppURL}
AppSupportURL={#AppURL}
AppUpdatesURL={#AppURL}
VersionInfoCompany={#AppPublisher}
VersionInfoDescription={#AppName} Setup
VersionInfoProductName={#AppName}
VersionInfoTextVersion={#AppVersion}
VersionInfoProductTextVersion={#AppVersion}
#ifdef AppNumericVersion
VersionInfoVersion={#AppNumericVersion}
VersionInfoProductVersion={#AppNumericVersion}
#endif

; Per-user install: Setup never asks for administrator rights and always runs in non-administrative
; install mode, so {autopf} is the user's own %LOCALAPPDATA%\Programs, {autoprograms} the user's
; Start menu and {autodesktop} the user's desktop, and the uninstall entry goes under HKCU.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes

; The bundle is 64-bit only (CPython and the Qt wheels for win_amd64). x64compatible also admits
; Windows 11 on Arm, which runs x64 programs under emulation.
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6 supports Windows 10 version 1809 (build 17763) and later.
MinVersion=10.0.17763

; Upgrades: the Restart Manager closes a running Pennant (and its QtWebEngineProcess helpers) that
; holds files Setup must replace; it is not restarted afterwards (the [Run] entry offers that).
CloseApplications=yes
CloseApplicationsFilter=*.exe,*.dll,*.pyd
RestartApplications=no

OutputDir={#OutputDir}
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2
SolidCompression=yes
SetupLogging=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole bundle: modules and libraries that the new version no longer ships
; must not stay behind in _internal (PyInstaller would still find them). Only program files live
; there; the user's data is elsewhere (see the top of this file).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
#ifdef BundleVCRedist
; First in the list: with solid compression, extracting it early does not unpack the whole bundle.
Source: "{#VCRedistFile}"; Flags: dontcopy noencryption
#endif
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Comment: "Desktop trading terminal for Webull"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] section on purpose: the uninstaller removes exactly the files it installed
; and never the user's settings, journal or history in %LOCALAPPDATA%\Pennant.

[Code]
const
  // Written by the Visual C++ 2015-2022 redistributable (x64). Values: Installed, Major, Minor,
  // Bld (DWORDs) and Version ("v14.xx.xxxxx.xx").
  VCRuntimeKey = 'SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64';
  // Qt WebEngine's deployment notes ask for Visual C++ Redistributable 14.28 or newer on Windows.
  VCRuntimeMinMajor = 14;
  VCRuntimeMinMinor = 28;
  VCRuntimeDownloadPage = 'https://learn.microsoft.com/cpp/windows/latest-supported-vc-redist';

function VCRuntimeFoundIn(const RootKey: Integer): Boolean;
var
  Installed, Major, Minor: Cardinal;
begin
  Result := False;
  if not RegQueryDWordValue(RootKey, VCRuntimeKey, 'Installed', Installed) then
    Exit;
  if Installed <> 1 then
    Exit;
  if not RegQueryDWordValue(RootKey, VCRuntimeKey, 'Major', Major) then
    Exit;
  if not RegQueryDWordValue(RootKey, VCRuntimeKey, 'Minor', Minor) then
    Minor := 0;
  if Major > VCRuntimeMinMajor then
    Result := True
  else if Major = VCRuntimeMinMajor then
    Result := Minor >= VCRuntimeMinMinor;
end;

// The x64 runtime registers itself in the 64-bit registry view; some versions also write the
// 32-bit (WOW6432Node) view, so either counts.
function VCRuntimeInstalled(): Boolean;
begin
  Result := VCRuntimeFoundIn(HKLM64);
  if not Result then
    Result := VCRuntimeFoundIn(HKLM32);
end;

// Runs before any file is copied. The bundle also carries the runtime DLLs next to Pennant (from
// CPython and the PySide6 wheels), so a missing system-wide runtime is reported and offered, not
// made fatal. In a silent install the questions take their default (No): Setup neither asks for
// elevation nor opens a browser unattended; the log records what was found.
function PrepareToInstall(var NeedsRestart: Boolean): String;
var
  ErrorCode: Integer;
  Missing: String;
#ifdef BundleVCRedist
  Redist: String;
#endif
begin
  Result := '';
  if VCRuntimeInstalled() then
  begin
    Log('Microsoft Visual C++ 2015-2022 x64 runtime ' + IntToStr(VCRuntimeMinMajor) + '.' +
        IntToStr(VCRuntimeMinMinor) + ' or newer: found');
    Exit;
  end;
  Missing := 'Pennant needs the Microsoft Visual C++ 2015-2022 Redistributable (x64), version ' +
    IntToStr(VCRuntimeMinMajor) + '.' + IntToStr(VCRuntimeMinMinor) +
    ' or newer, and it is not installed on this computer.';
  Log(Missing);
#ifdef BundleVCRedist
  if SuppressibleMsgBox(Missing + #13#10#13#10 +
      'Install it now? Windows will ask for administrator permission, because the runtime is ' +
      'installed for all users.', mbConfirmation, MB_YESNO, IDNO) = IDYES then
  begin
    ExtractTemporaryFile('{#VCRedistFile}');
    Redist := ExpandConstant('{tmp}\{#VCRedistFile}');
    // ShellExec reports only whether the program started, not its exit code: the registry is
    // checked again afterwards instead.
    if not ShellExec('runas', Redist, '/install /quiet /norestart', '', SW_SHOW,
                     ewWaitUntilTerminated, ErrorCode) then
    begin
      Log('Could not start the Visual C++ runtime installer: ' + SysErrorMessage(ErrorCode));
      SuppressibleMsgBox('The Visual C++ runtime installer did not run (' +
        SysErrorMessage(ErrorCode) + ').' + #13#10#13#10 +
        'Setup will continue. If Pennant does not start, install the runtime from ' +
        VCRuntimeDownloadPage, mbError, MB_OK, IDOK);
    end
    else if VCRuntimeInstalled() then
      Log('Microsoft Visual C++ 2015-2022 x64 runtime installed')
    else
    begin
      Log('The Visual C++ runtime installer ran, but the runtime is still not registered');
      SuppressibleMsgBox('The Visual C++ runtime does not appear to be installed yet (a restart ' +
        'may be needed).' + #13#10#13#10 + 'Setup will continue. If Pennant does not start, ' +
        'install the runtime from ' + VCRuntimeDownloadPage, mbInformation, MB_OK, IDOK);
    end;
  end;
#else
  if SuppressibleMsgBox(Missing + #13#10#13#10 +
      'Setup will continue, but Pennant may not start until the runtime is installed. ' +
      'Open Microsoft''s download page now?', mbConfirmation, MB_YESNO, IDNO) = IDYES then
  begin
    if not ShellExecAsOriginalUser('open', VCRuntimeDownloadPage, '', '', SW_SHOWNORMAL,
                                   ewNoWait, ErrorCode) then
      Log('Could not open ' + VCRuntimeDownloadPage + ': ' + SysErrorMessage(ErrorCode));
  end;
#endif
end;
