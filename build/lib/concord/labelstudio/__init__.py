"""The Label Studio round trip: config from a spec, push tasks + predictions, pull, push flags.

The server URL and token come from LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY only (never argv),
and are never printed or logged. See docs/labelstudio.md.
"""
