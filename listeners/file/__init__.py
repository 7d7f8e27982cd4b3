"""The file / survey import source: `FileListener` reads CSV and JSON Lines exports; `file_cursor` fingerprints one."""

from listeners.file.listener import FileListener, file_cursor

__all__ = ["FileListener", "file_cursor"]
