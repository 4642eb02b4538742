; Inno Setup script for Seller Studio on Windows (per-user or all-users install, Start-menu and
; optional desktop shortcut, uninstaller). Build the PyInstaller bundle first, then from the repo root:
;
;   iscc /DAppVersion=0.1.0 installers\windows\seller_studio.iss
;
; (installers\windows\build.ps1 does both and passes the version from the package metadata.)
; Output: dist\SellerStudio-<version>-windows-x64-setup.exe

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Seller Studio"
#define Root "..\.."

[Setup]
; A fixed AppId keeps upgrades and the uninstaller tied to one product: never change it.
AppId={{7C1E3A52-5B7D-4F61-9E0A-3D2C8B4F6A10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Seller Studio
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\Seller Studio
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Let a seller without admin rights install for themselves.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\dist
OutputBaseFilename=SellerStudio-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\resources\icons\seller-studio.ico
UninstallDisplayIcon={app}\SellerStudio.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller one-folder bundle: SellerStudio.exe (window), seller-studio.exe (command line), _internal\.
Source: "{#Root}\dist\seller-studio\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\SellerStudio.exe"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\SellerStudio.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\SellerStudio.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
