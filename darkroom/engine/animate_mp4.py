"""Move an MP4's ``moov`` index in front of its media data ("faststart"), in memory.

FFmpeg's own ``movflags=faststart`` re-opens the output by file name for a
second pass, which fails for a file object without one (a BytesIO, a storage
backend's file), so the engine encodes into memory and relocates ``moov``
itself, as qt-faststart does: the media bytes move down by the index's size,
so every chunk offset (``stco``/``co64``) in it grows by that much.
"""

from __future__ import annotations

import struct

# Boxes that only hold other boxes, on the way from moov to the chunk-offset tables.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta", b"mvex"}


def _boxes(data: bytes | bytearray, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """``(type, box start, payload start, box end)`` for each box in ``data[start:end]``."""
    boxes = []
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise ValueError(f"malformed MP4: box {kind!r} at {position} overruns its parent")
        boxes.append((kind, position, position + header, position + size))
        position += size
    return boxes


def _shift_offsets(moov: bytearray, start: int, end: int, shift: int) -> None:
    for kind, _box, payload, box_end in _boxes(moov, start, end):
        if kind in _CONTAINERS:
            _shift_offsets(moov, payload, box_end, shift)
        elif kind in (b"stco", b"co64"):
            (count,) = struct.unpack_from(">I", moov, payload + 4)
            wide = kind == b"co64"
            entry_format, entry_size = (">Q", 8) if wide else (">I", 4)
            for index in range(count):
                position = payload + 8 + index * entry_size
                (offset,) = struct.unpack_from(entry_format, moov, position)
                if not wide and offset + shift >= 2**32:
                    raise ValueError("MP4 too large for 32-bit chunk offsets after faststart")
                struct.pack_into(entry_format, moov, position, offset + shift)


def faststart(data: bytes) -> bytes:
    """Return the MP4 ``data`` with ``moov`` right after ``ftyp``; unchanged if it already leads ``mdat``."""
    top = _boxes(data, 0, len(data))
    kinds = [kind for kind, *_ in top]
    if not kinds or kinds[0] != b"ftyp" or b"moov" not in kinds or b"mdat" not in kinds:
        raise ValueError("not an MP4: expected ftyp first, then moov and mdat boxes")
    moov_index, mdat_index = kinds.index(b"moov"), kinds.index(b"mdat")
    if moov_index < mdat_index:
        return data
    _kind, moov_start, moov_payload, moov_end = top[moov_index]
    moov = bytearray(data[moov_start:moov_end])
    _shift_offsets(moov, moov_payload - moov_start, len(moov), len(moov))
    parts = []
    for index, (_kind, box_start, _payload, box_end) in enumerate(top):
        if index == moov_index:
            continue
        parts.append(data[box_start:box_end])
        if index == 0:
            parts.append(bytes(moov))
    return b"".join(parts)
