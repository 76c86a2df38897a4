"""Phone numbers as people type them, kept in E.164 (foodhub.phones)."""

import re

import pytest
from django.core.exceptions import ValidationError

from foodhub import phones
from tests.bad_input import ALL


@pytest.mark.parametrize(
    "typed",
    ["06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78", "+33 6 12 34 56 78",
     "0033612345678", " 0612345678 ", "+33 (0)6 12 34 56 78"],
)  # fmt: skip
def test_french_formats_as_people_type_them_are_one_number(typed):
    assert phones.to_e164(typed) == "+33612345678"
    assert phones.display("+33612345678") == "06 12 34 56 78"
    assert phones.is_mobile("+33612345678")


def test_a_foreign_number_keeps_its_country_and_a_landline_is_no_mobile():
    assert phones.to_e164("+32 470 12 34 56") == "+32470123456"
    assert phones.display("+32470123456") == "+32 470 12 34 56"
    assert phones.to_e164("03 20 12 34 56") == "+33320123456"
    assert not phones.is_mobile("+33320123456")


@pytest.mark.parametrize(
    "typed",
    ["NaN", "1" * 30, "06 12 34", "٠٦١٢٣٤٥٦٧٨", "06 12 34 56 7\x008", "Martine", "+999 123"],
)
def test_what_is_not_a_number_is_refused_in_plain_words(typed):
    with pytest.raises(ValidationError) as refused:
        phones.to_e164(typed)
    assert refused.value.code == "invalid_phone"


def test_no_bad_value_of_the_corpus_gets_through_as_anything_but_a_number():
    for value in ALL:
        try:
            kept = phones.to_e164(value)
        except ValidationError:
            continue
        assert kept == "" or re.fullmatch(r"\+[1-9][0-9]{6,14}", kept), (value, kept)


def test_an_older_record_typed_freely_is_shown_as_it_is():
    assert phones.display("joindre le soir") == "joindre le soir"
    assert phones.display("") == ""
