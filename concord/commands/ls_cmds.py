"""Commands registered by concord.cli (filled in by its area)."""

COMMANDS: list = []
