# Replaces PyInstaller's hook for PySide6.QtQml, which also collects every QML module of the
# wheel (and, through their plugins, Qt Multimedia, 3D, Quick Controls, ...). Pennant has no QML:
# QtWebEngine links the Qml/Quick libraries, which this keeps, but loads no QML module.
from PyInstaller.utils.hooks.qt import add_qt6_dependencies

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
