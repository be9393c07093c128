"""Specimen labels: a Code 128 barcode of the specimen id, as SVG sized in millimetres."""

from __future__ import annotations

import base64
import io
import logging
import re

logging.getLogger("pyBarcode").setLevel(logging.WARNING)  # it announces at import that Pillow is absent

import barcode  # noqa: E402
from barcode.writer import SVGWriter  # noqa: E402

# the label stock: 62 x 29 mm (a common roll for desktop label printers)
LABEL_WIDTH_MM = 62
LABEL_HEIGHT_MM = 29
_BAR_AREA_MM = 56.0
QUIET_ZONE_MM = 2.5
MAX_MODULE_MM = 0.33
MIN_MODULE_MM = 0.19  # narrower bars than this are hard to scan


class TooLongForLabel(ValueError):
    pass


def _svg(value: str, module_width: float) -> bytes:
    buf = io.BytesIO()
    barcode.get("code128", value, writer=SVGWriter()).write(
        buf,
        options={
            "module_width": module_width,
            "module_height": 11.0,
            "quiet_zone": QUIET_ZONE_MM,
            "write_text": False,
            "margin_top": 0,
            "margin_bottom": 0,
        },
    )
    # drop the prolog and DOCTYPE: the image needs neither
    text = buf.getvalue().decode()
    text = re.sub(r"^<\?xml[^>]*>\s*<!DOCTYPE[^>]*>\s*", "", text, flags=re.S)
    return text.encode()


def _width_mm(svg: bytes) -> float:
    m = re.search(rb'width="([0-9.]+)mm"', svg)
    assert m is not None
    return float(m.group(1))


def code128_svg(value: str) -> bytes:
    """The barcode, with bars as wide as the label allows (never narrower than scanners read)."""
    if not value or not value.isprintable() or not value.isascii():
        raise TooLongForLabel("a specimen id on a label is printable ASCII")
    modules = (_width_mm(_svg(value, 1.0)) - 2 * QUIET_ZONE_MM)
    module = min(MAX_MODULE_MM, (_BAR_AREA_MM - 2 * QUIET_ZONE_MM) / modules)
    if module < MIN_MODULE_MM:
        raise TooLongForLabel("the specimen id is too long for a barcode on the label")
    return _svg(value, round(module, 3))


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
