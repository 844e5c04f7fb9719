#!/usr/bin/env python3
"""Generates Dockside's app and tray icons (RGBA PNGs) — Python standard library only.

    python3 icons/generate.py           # (re)write every icon next to this script
    python3 icons/generate.py --check   # exit 1 if a committed icon differs from what this makes

The glyph is a small stack of shipping containers on a dock: two containers side by side,
one on top, and a quay bar under them. Shapes are drawn with signed distance functions and
1-pixel anti-aliasing, so every size is rendered from the same geometry (no resampling),
and the output is byte-for-byte reproducible.

Files:
    32x32.png, 128x128.png, 128x128@2x.png (256), icon.png (512)
        app icon: white glyph on a blue rounded square (tauri.conf.json `bundle.icon`).
    icon.ico (16, 32, 48, 256 as PNGs)
        the Windows app icon; tauri-build needs it for a Windows build, even `cargo check`.
    tray/{ok,degraded,stopped}.png (64)
        tray icon for Linux and Windows: blue glyph and a status dot (green, amber, grey ring);
        "stopped" also greys the glyph.
    tray/template-{ok,degraded,stopped}.png (64)
        macOS menu bar template images: black + alpha only (macOS tints them); the status
        is a shape instead of a colour: none, a filled dot, a ring.
    icon.icns, icon.ico (not written by this script)
        the bundles' icons (macOS, Windows), made from icon.png by the Tauri CLI:
        `ui/node_modules/.bin/tauri icon icons/icon.png -o DIR`, then copy these two here.
"""

import math
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# Colours (sRGB).
BLUE_TOP = (59, 130, 246)
BLUE_BOTTOM = (29, 78, 216)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GLYPH_BLUE = (47, 111, 235)
GLYPH_GREY = (128, 137, 150)
GREEN = (34, 197, 94)
AMBER = (245, 158, 11)
GREY = (148, 156, 168)

# Glyph geometry in a unit square (x right, y down): rounded rectangles (x0, y0, x1, y1, radius).
CONTAINERS = [
    (0.37, 0.26, 0.63, 0.42),  # top
    (0.22, 0.44, 0.48, 0.60),  # bottom left
    (0.52, 0.44, 0.78, 0.60),  # bottom right
]
QUAY = (0.16, 0.64, 0.84, 0.72)
GLYPH_BOX = (0.16, 0.26, 0.84, 0.72)  # bounding box of the glyph


# --- shapes: signed distance in unit coordinates (negative inside) ---------------------------

def sd_round_rect(px, py, x0, y0, x1, y1, r):
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (x1 - x0) / 2 - r, (y1 - y0) / 2 - r
    qx, qy = abs(px - cx) - hx, abs(py - cy) - hy
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - r


def sd_circle(px, py, cx, cy, r):
    return math.hypot(px - cx, py - cy) - r


class Canvas:
    """A square RGBA float canvas with "paint over" and "erase" using coverage functions."""

    def __init__(self, size):
        self.size = size
        self.px = [[0.0, 0.0, 0.0, 0.0] for _ in range(size * size)]

    def _coverage(self, sdf, x, y):
        # Sample at the pixel centre; distance in pixels gives a 1-px anti-aliased edge.
        u, v = (x + 0.5) / self.size, (y + 0.5) / self.size
        d = sdf(u, v) * self.size
        return min(1.0, max(0.0, 0.5 - d))

    def paint(self, sdf, colour, alpha=1.0):
        """Paints the shape; `colour` is an (r, g, b) tuple or a function of (u, v)."""
        for y in range(self.size):
            for x in range(self.size):
                a = self._coverage(sdf, x, y) * alpha
                if a <= 0.0:
                    continue
                c = colour((x + 0.5) / self.size, (y + 0.5) / self.size) if callable(colour) else colour
                p = self.px[y * self.size + x]
                out_a = a + p[3] * (1.0 - a)
                for i in range(3):
                    p[i] = (c[i] / 255.0 * a + p[i] * p[3] * (1.0 - a)) / out_a
                p[3] = out_a

    def erase(self, sdf):
        """Makes the shape transparent (a cut-out)."""
        for y in range(self.size):
            for x in range(self.size):
                a = self._coverage(sdf, x, y)
                if a > 0.0:
                    self.px[y * self.size + x][3] *= 1.0 - a

    def png(self):
        rows = []
        for y in range(self.size):
            row = bytearray(b"\x00")  # filter: none
            for x in range(self.size):
                r, g, b, a = self.px[y * self.size + x]
                if a <= 0.0:
                    row += b"\x00\x00\x00\x00"
                else:
                    row += bytes(round(min(1.0, max(0.0, v)) * 255) for v in (r, g, b, a))
            rows.append(bytes(row))
        return encode_png(self.size, self.size, b"".join(rows))


def encode_png(width, height, raw):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


# --- the glyph -----------------------------------------------------------------------------

def glyph_shapes(box, detailed):
    """Returns (fills, cuts): SDFs of the glyph mapped into `box` = (x0, y0, x1, y1)."""
    gx0, gy0, gx1, gy1 = GLYPH_BOX
    bx0, by0, bx1, by1 = box
    scale = min((bx1 - bx0) / (gx1 - gx0), (by1 - by0) / (gy1 - gy0))
    ox = (bx0 + bx1) / 2 - (gx0 + gx1) / 2 * scale
    oy = (by0 + by1) / 2 - (gy0 + gy1) / 2 * scale

    def rect(x0, y0, x1, y1, r):
        a = (x0 * scale + ox, y0 * scale + oy, x1 * scale + ox, y1 * scale + oy, r * scale)
        return lambda u, v: sd_round_rect(u, v, *a)

    fills = [rect(*c, 0.025) for c in CONTAINERS] + [rect(*QUAY, 0.04)]
    cuts = []
    if detailed:
        # Corrugation: two thin vertical grooves per container.
        for x0, y0, x1, y1 in CONTAINERS:
            w = x1 - x0
            for f in (1 / 3, 2 / 3):
                gx = x0 + w * f
                cuts.append(rect(gx - 0.008, y0 + 0.035, gx + 0.008, y1 - 0.035, 0.008))
    return fills, cuts


def union(shapes):
    return lambda u, v: min(s(u, v) for s in shapes)


def app_icon(size):
    c = Canvas(size)
    inset = 0.04
    background = lambda u, v: sd_round_rect(u, v, inset, inset, 1 - inset, 1 - inset, 0.22)

    def gradient(u, v):
        t = min(1.0, max(0.0, (v - inset) / (1 - 2 * inset)))
        return tuple(BLUE_TOP[i] + (BLUE_BOTTOM[i] - BLUE_TOP[i]) * t for i in range(3))

    c.paint(background, gradient)
    fills, cuts = glyph_shapes((0.17, 0.17, 0.83, 0.83), detailed=size >= 128)
    glyph = union(fills)
    if cuts:
        grooves = union(cuts)
        glyph_sdf = lambda u, v: max(glyph(u, v), -grooves(u, v))
    else:
        glyph_sdf = glyph
    c.paint(glyph_sdf, WHITE)
    return c


def tray_icon(size, glyph_colour, dot, template):
    """`dot` is None, ("fill", colour) or ("ring", colour)."""
    c = Canvas(size)
    fills, _ = glyph_shapes((0.02, 0.02, 0.98, 0.98), detailed=False)
    c.paint(union(fills), BLACK if template else glyph_colour)
    if dot is not None:
        kind, colour = dot
        cx, cy, r = 0.77, 0.77, 0.2
        # A transparent gap around the dot keeps it readable over the glyph.
        c.erase(lambda u, v: sd_circle(u, v, cx, cy, r + 0.07))
        colour = BLACK if template else colour
        if kind == "fill":
            c.paint(lambda u, v: sd_circle(u, v, cx, cy, r), colour)
        else:
            c.paint(lambda u, v: abs(sd_circle(u, v, cx, cy, r - 0.045)) - 0.045, colour)
    return c


def encode_ico(pngs):
    """A Windows icon holding PNG images (allowed since Windows Vista): `(size, png bytes)`."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    entries, offset = b"", 6 + 16 * len(pngs)
    for size, data in pngs:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return header + entries + b"".join(data for _, data in pngs)


def outputs():
    yield "32x32.png", lambda: app_icon(32).png()
    yield "128x128.png", lambda: app_icon(128).png()
    yield "128x128@2x.png", lambda: app_icon(256).png()
    yield "icon.png", lambda: app_icon(512).png()
    yield "icon.ico", lambda: encode_ico([(s, app_icon(s).png()) for s in (16, 32, 48, 256)])
    tray = 64
    yield "tray/ok.png", lambda: tray_icon(tray, GLYPH_BLUE, ("fill", GREEN), False).png()
    yield "tray/degraded.png", lambda: tray_icon(tray, GLYPH_BLUE, ("fill", AMBER), False).png()
    yield "tray/stopped.png", lambda: tray_icon(tray, GLYPH_GREY, ("ring", GREY), False).png()
    yield "tray/template-ok.png", lambda: tray_icon(tray, None, None, True).png()
    yield "tray/template-degraded.png", lambda: tray_icon(tray, None, ("fill", None), True).png()
    yield "tray/template-stopped.png", lambda: tray_icon(tray, None, ("ring", None), True).png()


def main(argv):
    check = "--check" in argv[1:]
    stale = []
    for name, make in outputs():
        path = os.path.join(HERE, name)
        data = make()
        if check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == data
            except FileNotFoundError:
                same = False
            if not same:
                stale.append(name)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            print(f"wrote icons/{name}")
    if stale:
        print("stale icons (run `python3 icons/generate.py`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
