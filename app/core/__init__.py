"""The application without widgets: session, polling, portfolio state, local history, settings.

asyncio only; imports app.webull, never PySide6 (checked by import-linter).
"""
