"""Dash pages: each registers itself, owns its layout and its callbacks."""
