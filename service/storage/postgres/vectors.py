"""pgvector's `vector` type in binary, both ways, so a fused vector crosses the wire as its 4 bytes per value.

The store interface hands vectors around as float32 little-endian blobs (service.storage.database.to_blob); here
they become pgvector's binary form (uint16 dimensions, uint16 unused, float32 big-endian values) and back,
without a decimal text form in between. Registered on every pooled connection (`register`).
"""
from __future__ import annotations

import struct

import numpy as np
from psycopg import Connection
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo


class Vector:
    """A float32 vector to be written as pgvector `vector` (wraps an array or a float32 little-endian blob)."""

    __slots__ = ("values",)

    def __init__(self, values: np.ndarray | bytes):
        self.values = np.frombuffer(values, "<f4") if isinstance(values, bytes | bytearray | memoryview) else values


def _binary(values: np.ndarray) -> bytes:
    array = np.asarray(values, dtype=">f4").ravel()
    return struct.pack(">HH", array.size, 0) + array.tobytes()


class _VectorDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: Vector) -> bytes:
        return _binary(obj.values)


class _VectorLoader(Loader):
    """Binary results: float32 little-endian bytes, the interface's blob."""

    format = Format.BINARY

    def load(self, data) -> bytes:
        dims = struct.unpack_from(">H", data)[0]
        return np.frombuffer(data, ">f4", count=dims, offset=4).astype("<f4").tobytes()


class _VectorTextLoader(Loader):
    """Text results (a cursor that did not ask for binary): parsed from '[1,2,3]'."""

    def load(self, data) -> bytes:
        text = bytes(data).decode()
        return np.array(text.strip("[]").split(","), dtype="<f4").tobytes()


def register(conn: Connection) -> None:
    """Teach one connection the `vector` type (the extension must exist: migration 1 creates it)."""
    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        return
    dumper = type("VectorDumper", (_VectorDumper,), {"oid": info.oid})
    conn.adapters.register_dumper(Vector, dumper)
    conn.adapters.register_loader(info.oid, _VectorLoader)
    conn.adapters.register_loader(info.oid, _VectorTextLoader)
