"""The licence gate reads wording conservatively: one table row per wording class, each a case that must not pass."""

from __future__ import annotations

import pytest

from corpus.publish.licences import (
    NON_REDISTRIBUTABLE,
    REDISTRIBUTABLE,
    RESTRICTED,
    UNKNOWN,
    LicenceMix,
    classify_licence,
    gate_message,
)

WORDING = {
    "open licence": [
        ("CC BY 4.0", REDISTRIBUTABLE),
        ("Creative Commons Attribution 4.0 International (CC BY 4.0)", REDISTRIBUTABLE),
        ("Copyright 2024 Harbour Post, licensed under CC BY 4.0", REDISTRIBUTABLE),
        ("https://creativecommons.org/licenses/by-sa/4.0/", REDISTRIBUTABLE),
        ("Public domain", REDISTRIBUTABLE),
        ("Licensed under the Open Government Licence v3.0", REDISTRIBUTABLE),
        ("MIT License", REDISTRIBUTABLE),
        ("Apache License 2.0", REDISTRIBUTABLE),
    ],
    "negated": [
        ("Not licensed under CC-BY", NON_REDISTRIBUTABLE),
        ("This article is not available under a Creative Commons licence", NON_REDISTRIBUTABLE),
        ("Public domain? No: copyright 2024 Harbour Post", NON_REDISTRIBUTABLE),
        ("CC-BY not granted", NON_REDISTRIBUTABLE),
        ("Not in the public domain", NON_REDISTRIBUTABLE),
        ("No licence", NON_REDISTRIBUTABLE),
        ("Released without any licence", NON_REDISTRIBUTABLE),
        ("CC BY 4.0: no", NON_REDISTRIBUTABLE),
    ],
    "all rights reserved": [
        ("All rights reserved", NON_REDISTRIBUTABLE),
        ("© 2024 Northern Ledger. All rights reserved.", NON_REDISTRIBUTABLE),
        ("Text by Mara Velk. Copyright Harbour Post 2024", NON_REDISTRIBUTABLE),
        ("Used with permission of the author", NON_REDISTRIBUTABLE),
        ("For research purposes only", NON_REDISTRIBUTABLE),
    ],
    "non-commercial / no-derivatives": [
        ("CC BY-NC 4.0", RESTRICTED),
        ("Creative Commons Attribution-NonCommercial-ShareAlike 4.0", RESTRICTED),
        ("CC BY 4.0, non-commercial use only", RESTRICTED),
        ("Free for non-commercial use", RESTRICTED),
        ("Not for commercial use", RESTRICTED),
        ("CC BY 4.0; may not be modified", RESTRICTED),
    ],
    "conditional": [
        ("CC BY 4.0 unless otherwise stated", UNKNOWN),
        ("Licensed under CC BY, except where otherwise noted", UNKNOWN),
        ("CC BY-SA 4.0 if attributed to the agency", UNKNOWN),
        ("Some images may be under other terms; text CC BY", UNKNOWN),
        ("Contact us for reuse", UNKNOWN),
    ],
    "several licences": [
        ("Text CC BY-SA 4.0, photos CC BY-NC-ND 4.0", RESTRICTED),
        ("CC BY 4.0 or CC BY-SA 4.0", REDISTRIBUTABLE),
    ],
    "contradictory": [
        ("CC BY 4.0, all rights reserved", UNKNOWN),
        ("Public domain. © 2024 Harbour Post", UNKNOWN),
    ],
    "unknown wording": [
        ("see website", UNKNOWN),
        ("Free to use", UNKNOWN),
        ("Royalty-free", UNKNOWN),
        ("Licensed", UNKNOWN),
        ("MIT Press reprint", UNKNOWN),
        ("Apache helicopters footage, courtesy of the army", UNKNOWN),
        ("GPL", UNKNOWN),
        ("", UNKNOWN),
        (None, UNKNOWN),
    ],
}


@pytest.mark.parametrize(("wording", "raw", "status"), [(w, r, s) for w, rows in WORDING.items() for r, s in rows])
def test_licence_wording_classes(wording, raw, status):
    assert classify_licence(raw).status == status, f"{wording}: {raw!r}"


def test_only_clearly_open_licences_pass_the_gate():
    mix = LicenceMix()
    for i, (raw, _status) in enumerate(row for rows in WORDING.values() for row in rows):
        mix.add(f"d{i}", raw)
    passing = {name for (status, name, _hub), _n in mix.by_name.items() if status == REDISTRIBUTABLE}
    assert passing == {"CC BY 4.0", "CC BY SA 4.0", "public domain", "UK Open Government Licence", "MIT", "Apache-2.0"}
    message = gate_message(mix.to_dict())
    assert message and "non-redistributable" in message and "unknown" in message and "restricted" in message
