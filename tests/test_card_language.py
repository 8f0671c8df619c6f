"""The card names its language from a small table of common codes, or from pycountry for the others."""

from __future__ import annotations

import pycountry

from corpus.publish.card import COMMON_LANGUAGES, _language_name


def test_common_codes_have_pycountrys_names() -> None:
    for code, name in COMMON_LANGUAGES.items():
        assert pycountry.languages.get(alpha_2=code).name == name


def test_other_codes_are_looked_up_or_kept() -> None:
    assert _language_name("fi") == pycountry.languages.get(alpha_2="fi").name == "Finnish"
    assert _language_name("deu") == "German"
    assert _language_name("zz") == "zz"
