"""PySide6 user interface: the only layer (with app.__main__) that imports Qt."""
