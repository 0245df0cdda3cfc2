"""Render a token as a PNG QR code for the app (segno: pure Python, no imaging library needed)."""

from __future__ import annotations

import io

import segno


def qr_png(text: str, *, scale: int = 4) -> bytes:
    """Alphanumeric mode fits Base45 exactly (that is why Base45 exists); ECC level M as in the EU DCC."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
