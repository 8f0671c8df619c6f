"""Python column values -> Arrow arrays of a known type, without ``pa.array``.

``pa.array`` on a Python list asks pandas whether the list is one of its array types, and that question imports
pandas (~40 MB of the dataset phase's peak, for nothing: we never hand it pandas objects). The arrays here are
assembled from buffers instead: strings through Arrow's ``StringBuilder``, numbers and booleans packed by the
standard ``array`` module and numpy, lists as offsets plus one flat child, structs from their child columns.
The result equals ``pa.array(values, type=type)`` (same values, same validity buffers, same ``nbytes``), so the
parquet bytes do not change; :func:`column_array` accepts the value kinds our rows hold (``None`` for null, a struct
as a dict or, like ``pa.array``, a tuple of its fields in order).
"""

from __future__ import annotations

import builtins
from array import array
from itertools import accumulate, chain
from operator import itemgetter

import numpy as np
import pyarrow as pa

# array-module typecodes of the fixed-width types our features use (``i`` is 32 bits, ``q`` 64, on every platform
# CPython supports for Arrow)
_TYPECODES = {pa.int32(): "i", pa.int64(): "q", pa.float64(): "d"}


def column_array(values: list, type: pa.DataType, pool: pa.MemoryPool | None = None) -> pa.Array:
    """``values`` (Python objects, ``None`` for null) as an Arrow array of ``type``."""
    if pa.types.is_struct(type):
        return _struct_array(values, type, pool)
    if pa.types.is_list(type):
        return _list_array(values, type, pool)
    if type == pa.string():
        builder = pa.lib.StringBuilder(pool)
        builder.append_values(values)
        return builder.finish()
    if type == pa.bool_():
        return _fixed_width(values, type, lambda vs: np.packbits(np.array(vs, dtype=bool), bitorder="little"))
    code = _TYPECODES.get(type)
    if code is None:
        raise TypeError(f"no column conversion for Arrow type {type}")
    return _fixed_width(values, type, lambda vs: array(code, vs))


def _validity(values: list) -> tuple[pa.Buffer | None, int]:
    """The validity bitmap (``None`` when nothing is null, as Arrow's own builders leave it) and the null count."""
    nulls = values.count(None)
    if not nulls:
        return None, 0
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    return pa.py_buffer(np.packbits(valid, bitorder="little")), nulls


def _fixed_width(values: list, type: pa.DataType, pack) -> pa.Array:
    validity, nulls = _validity(values)
    if nulls:
        values = [0 if v is None else v for v in values]
    return pa.Array.from_buffers(type, len(values), [validity, pa.py_buffer(pack(values))], null_count=nulls)


def _list_array(values: list, type: pa.ListType, pool: pa.MemoryPool | None) -> pa.Array:
    validity, nulls = _validity(values)
    present = [v for v in values if v is not None] if nulls else values
    lengths = (0 if v is None else len(v) for v in values) if nulls else map(len, values)
    offsets = array("i", accumulate(lengths, initial=0))
    child = column_array(list(chain.from_iterable(present)), type.value_type, pool)
    buffers = [validity, pa.py_buffer(offsets)]
    return pa.Array.from_buffers(type, len(values), buffers, null_count=nulls, children=[child])


def _struct_array(values: list, type: pa.StructType, pool: pa.MemoryPool | None) -> pa.Array:
    validity, nulls = _validity(values)
    # Arrow's builder gives a null struct "empty" (valid) child values, not null ones: the children's buffers match.
    present = [_empty(type) if v is None else v for v in values] if nulls else values
    children = [column_array(values, f.type, pool) for f, values in zip(type, _fields(present, type), strict=True)]
    return pa.Array.from_buffers(type, len(values), [validity], null_count=nulls, children=children)


def _fields(values: list, type: pa.StructType) -> list:
    """The struct's child columns: one transposition in C when every value is a tuple (positional, as
    ``pa.array`` reads tuples) or every dict has every field, else ``dict.get`` (a missing field is null)."""
    names = [f.name for f in type]
    if values and set(map(builtins.type, values)) == {tuple}:  # (type and length tested in C: ~70k spans at 1x)
        if set(map(len, values)) != {len(names)}:
            raise ValueError(f"a tuple for struct {type} has the wrong number of fields")
        return list(zip(*values, strict=True))
    if len(names) > 1 and values:
        try:
            return list(zip(*map(itemgetter(*names), values), strict=True))
        except (KeyError, TypeError):
            pass
    values = [dict(zip(names, v, strict=True)) if isinstance(v, tuple) else v for v in values]
    return [[v.get(name) for v in values] for name in names]


def _empty(type: pa.DataType) -> object:
    """The value Arrow's builders put in a child slot under a null struct."""
    if pa.types.is_struct(type):
        return {f.name: _empty(f.type) for f in type}
    if pa.types.is_list(type):
        return []
    return {pa.string(): "", pa.bool_(): False}.get(type, 0)
