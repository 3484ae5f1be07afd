"""The service model's Java patterns, translated for Python's re."""

from __future__ import annotations

import re
import sys
import unicodedata
import warnings

import pytest

from airflow_sm_provider.validation.patterns import UNICODE_SEPARATORS, matcher, to_python
from airflow_sm_provider.validation.shape import MODEL_OPERATION, TRAINING_OPERATION, TUNING_OPERATION
from tests.unit.validation.model_walk import reachable_shapes

OPERATIONS = [TRAINING_OPERATION, TUNING_OPERATION, MODEL_OPERATION]
TAG = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"


def patterns_of(operation: str) -> dict[str, str]:
    return {
        shape.name: shape.metadata["pattern"]
        for shape in reachable_shapes(operation)
        if "pattern" in shape.metadata
    }


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_pattern_reachable_from_the_operation_translates_and_compiles(operation):
    patterns = patterns_of(operation)
    assert patterns, "the walk found no patterns"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FutureWarning "possible nested set" and the like
        untranslatable = {name: pattern for name, pattern in patterns.items() if matcher(pattern) is None}
        for pattern in patterns.values():
            re.compile(to_python(pattern))
    assert untranslatable == {}


def test_the_patterns_re_cannot_read_as_they_are_are_the_ones_translated():
    unreadable = set()
    for operation in OPERATIONS:
        for pattern in patterns_of(operation).values():
            try:
                re.compile(pattern)
            except re.error:
                unreadable.add(pattern)
    # \p{...} classes: tag keys and values, and the training repository's credentials Lambda.
    assert unreadable == {TAG, r"arn:[\p{Alnum}\-]+:lambda:[\p{Alnum}\-]+:[0-9]{12}:function:.*"}
    assert all(matcher(pattern) is not None for pattern in unreadable)


def test_unicode_separators_are_exactly_the_z_categories():
    expected = {chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code))[0] == "Z"}
    separators = re.compile(f"[{UNICODE_SEPARATORS}]")
    assert {char for char in expected if not separators.fullmatch(char)} == set()
    assert all(separators.fullmatch(char) for char in expected)
    assert not separators.fullmatch("\t")


@pytest.mark.parametrize(
    "value", ["team", "Équipe data", "コスト", "٣٤", "a_b.c:d/e=f+g-h@i", "", "x\u3000y"]
)
def test_tag_pattern_accepts_letters_numbers_separators_and_its_symbols(value):
    assert matcher(TAG).fullmatch(value)


@pytest.mark.parametrize("value", ["cost#center", "a\tb", "a\nb", "50%", "x!"])
def test_tag_pattern_refuses_other_characters(value):
    assert not matcher(TAG).fullmatch(value)


def test_posix_classes_are_ascii_as_in_java():
    compiled = matcher(r"arn:[\p{Alnum}\-]+:lambda:x")
    assert compiled.fullmatch("arn:aws-cn:lambda:x")
    assert not compiled.fullmatch("arn:äws:lambda:x")


def test_shorthand_classes_are_ascii_as_in_java():
    assert matcher(r"\d+").fullmatch("123")
    assert not matcher(r"\d+").fullmatch("١٢٣")
    assert not matcher(r"\w+").fullmatch("é")
    assert matcher(r"[\S]+").fullmatch("image:1.0")
    assert not matcher(r"[\S]+").fullmatch("my image")


def test_dot_matches_no_java_line_terminator_but_the_environment_class_does():
    for terminator in "\n\r\x85\u2028\u2029":
        assert not matcher(".*").fullmatch(f"a{terminator}b")
        assert matcher(r"[\S\s]*").fullmatch(f"a{terminator}b")
    assert matcher(".*").fullmatch("any\tthing")


def test_patterns_match_the_whole_value():
    name = matcher(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
    assert name.fullmatch("job-1")
    assert not name.fullmatch("job_1")
    assert not name.fullmatch("job-")


def test_lookbehind_is_kept():
    arn_or_name = matcher(
        r"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)"
    )
    assert arn_or_name.fullmatch("my-model")
    assert not arn_or_name.fullmatch("my-model-")


UNTRANSLATABLE = [r"\P{L}+", r"[a-z&&[^aeiou]]", r"\Qa.b\E", r"[^\p{L}]", r"[a-z", "\\", "[]"]


@pytest.mark.parametrize("pattern", UNTRANSLATABLE)
def test_constructs_it_cannot_translate_give_no_matcher(pattern):
    assert matcher(pattern) is None


def test_possessive_quantifiers_compile():
    assert matcher("a*+b").fullmatch("aab")
