; Inno Setup 6.3+ script for mailgui: a per-user install (no administrator rights), a Start
; menu entry, an uninstaller. build.ps1 builds the PyInstaller bundle first and passes the
; version from the package metadata:
;   iscc /DAppVersion=0.1.0 packaging\windows\mailgui.iss
; Relative paths below are relative to this script's folder.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z mailgui.iss (build.ps1 does)
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\mailgui"
#endif

[Setup]
; The AppId identifies the installed app for upgrades and the uninstaller: never change it.
AppId={{6F1B7C52-3E0A-4B8D-9C51-8A2F4D7E1B30}
AppName=mailgui
AppVersion={#AppVersion}
AppVerName=mailgui {#AppVersion}
AppPublisher=mailgui developers
AppPublisherURL=https://github.com/mailgui/mailgui
VersionInfoVersion={#AppVersion}
; Per-user: {autopf} is then %LOCALAPPDATA%\Programs, {group} the user's Start menu.
PrivilegesRequired=lowest
; Lets /CURRENTUSER (what CI passes) and /ALLUSERS (an administrator's machine-wide install into
; Program Files) choose the mode on the command line; without it Setup ignores both.
PrivilegesRequiredOverridesAllowed=commandline
DefaultDirName={autopf}\mailgui
DefaultGroupName=mailgui
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile=..\..\resources\icons\mailgui.ico
UninstallDisplayIcon={app}\mailgui.exe
UninstallDisplayName=mailgui
OutputDir=..\..\dist
OutputBaseFilename=mailgui-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\mailgui"; Filename: "{app}\mailgui.exe"; Comment: "Send mail and understand why sending failed"
Name: "{group}\{cm:UninstallProgram,mailgui}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\mailgui"; Filename: "{app}\mailgui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\mailgui.exe"; Description: "{cm:LaunchProgram,mailgui}"; Flags: nowait postinstall skipifsilent
