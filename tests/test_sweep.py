"""The bad-input sweep's own machinery (``tests/sweep.py``): what it reads from a page and
how it sends a form, so that the values of the corpus reach the views as they are."""

import pytest
from django.test import RequestFactory

from tests import bad_input
from tests.sweep import form_body, parse_page

PAGE = """
<form method="post" action="/save/"><input name="name" value="Carottes">
  <select name="unit"><option value="kg">kg</option>
    <option value="piece" selected>pièce</option></select>
  <button type="submit" name="save" value="1">Save</button></form>
<form method="post" enctype="multipart/form-data"><input type="file" name="photo"></form>
"""


def test_forms_are_read_with_what_a_browser_sends_and_how():
    plain, upload = parse_page("/products/new/", PAGE).forms
    assert (plain.action, plain.multipart) == ("/save/", False)
    assert plain.data() == {"name": ["Carottes"], "unit": ["piece"], "save": ["1"]}
    assert (upload.action, upload.multipart) == ("/products/new/", True)


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_every_value_of_the_corpus_reaches_the_view_as_it_is(multipart):
    values = [*bad_input.ALL, "Pommes é ١٢ ½"]
    data = {"field": values, "other": ["a&b=c+d %00"]}
    request = RequestFactory().post("/", **form_body(data, multipart=multipart))
    assert request.POST.getlist("field") == values
    assert request.POST.getlist("other") == ["a&b=c+d %00"]
