#!/bin/sh
# Adds Seller Studio to your desktop's applications menu (for this user; no root needed):
# the .desktop file goes to ~/.local/share/applications (pointing at this folder's AppRun) and the
# icons to ~/.local/share/icons/hicolor. Run it again after moving this folder.
#   ./install-desktop-entry.sh            install
#   ./install-desktop-entry.sh --remove   remove the menu entry and icons
set -eu
HERE=$(dirname "$(readlink -f "$0")")
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
DESKTOP="$DATA/applications/seller-studio.desktop"
if [ "${1:-}" = "--remove" ]; then
  rm -f "$DESKTOP" "$DATA"/icons/hicolor/*/apps/seller-studio.png
  echo "Seller Studio removed from the applications menu."
  exit 0
fi
mkdir -p "$DATA/applications"
for dir in "$HERE"/usr/share/icons/hicolor/*/apps; do
  size=$(basename "$(dirname "$dir")")
  mkdir -p "$DATA/icons/hicolor/$size/apps"
  cp "$dir/seller-studio.png" "$DATA/icons/hicolor/$size/apps/seller-studio.png"
done
sed "s|^Exec=.*|Exec=\"$HERE/AppRun\" studio|" "$HERE/seller-studio.desktop" > "$DESKTOP"
chmod 644 "$DESKTOP"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "Seller Studio added to the applications menu ($DESKTOP)."
