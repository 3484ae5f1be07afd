"""The service model's string patterns, as Python regular expressions.

botocore's SageMaker model carries the service's own ``pattern`` traits, written for Java's
``java.util.regex`` and applied by SageMaker to the whole value (an error reads "Member must
satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"). Python's ``re`` reads
most of them unchanged, but differs where it matters:

* ``\\p{...}`` classes (``\\p{L}``, ``\\p{N}``, ``\\p{Z}``, ``\\p{Alnum}``) do not exist in ``re``;
  each is translated. ``\\p{L}`` becomes "alphanumeric but not a decimal digit" and ``\\p{N}``
  "decimal digit": together, as the tag patterns use them, exactly Python's alphanumerics.
* ``\\d``, ``\\w`` and ``\\s`` are ASCII-only in Java and Unicode in ``re``: spelled out as ASCII.
* ``.`` matches no line terminator in Java (``\\r``, ``\\x85``, ``\\u2028``, ``\\u2029`` as well
  as ``\\n``): spelled out. This is why the model writes Environment values as ``[\\S\\s]*``.
* Possessive quantifiers and atomic groups need Python 3.11, which this package requires.

A construct outside what :func:`to_python` knows (``\\P{...}``, ``\\Q...\\E``, nested classes,
class intersections) raises :class:`UnsupportedPattern`; :func:`matcher` then returns ``None``
and the walker skips that pattern. A test enumerates every pattern reachable from the operations
this provider calls and requires each to translate, so a new botocore cannot make a pattern go
unchecked silently.
"""

from __future__ import annotations

import functools
import re

# Java's line terminators, which its "." does not match.
_JAVA_DOT = r"[^\n\r\x85\u2028\u2029]"
_ASCII_CLASSES = {"d": "0-9", "w": "a-zA-Z0-9_", "s": r" \t\n\x0b\f\r"}
# Unicode separators (Zs, Zl, Zp); a test compares this with unicodedata.
UNICODE_SEPARATORS = r" \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# \p{name}: ASCII classes (Java's POSIX classes are ASCII unless told otherwise) are ranges that
# fit inside a Python class; Unicode categories become alternatives matching one character.
_ASCII_PROPERTIES = {"Alnum": "a-zA-Z0-9", "Alpha": "a-zA-Z", "Digit": "0-9", "Upper": "A-Z", "Lower": "a-z"}
_UNICODE_PROPERTIES = {"L": r"[^\W\d_]", "N": r"\d", "Z": f"[{UNICODE_SEPARATORS}]"}
# Escapes whose meaning differs between Java and Python, or that Python lacks.
_UNSUPPORTED_ESCAPES = frozenset("PQEGZXRhHvVk")
_PROPERTY = re.compile(r"p\{(?:Is)?(?P<name>\w+)\}")


class UnsupportedPattern(ValueError):
    """A Java pattern uses a construct this translator does not handle."""


@functools.cache
def matcher(pattern: str) -> re.Pattern[str] | None:
    """The compiled Python form of a model ``pattern``, or ``None`` if it cannot be translated."""
    try:
        return re.compile(to_python(pattern))
    except (UnsupportedPattern, re.error):
        return None


def to_python(pattern: str) -> str:
    """Translate a Java regular expression into an equivalent one for Python's ``re``."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            token, index = _escape(pattern, index)
            out.append(token)
        elif char == "[":
            token, index = _character_class(pattern, index)
            out.append(token)
        else:
            out.append(_JAVA_DOT if char == "." else char)
            index += 1
    return "".join(out)


def _escape(pattern: str, index: int) -> tuple[str, int]:
    """An escape outside a class: returns the Python text and the index after it."""
    if index + 1 >= len(pattern):
        raise UnsupportedPattern("trailing backslash")
    letter = pattern[index + 1]
    if letter == "p":
        name, end = _property(pattern, index)
        if name in _ASCII_PROPERTIES:
            return f"[{_ASCII_PROPERTIES[name]}]", end
        return f"(?:{_UNICODE_PROPERTIES[name]})", end
    if letter.lower() in _ASCII_CLASSES:
        negate = "^" if letter.isupper() else ""
        return f"[{negate}{_ASCII_CLASSES[letter.lower()]}]", index + 2
    if letter == "z":
        return r"\Z", index + 2
    if letter in _UNSUPPORTED_ESCAPES:
        raise UnsupportedPattern(f"\\{letter}")
    return pattern[index : index + 2], index + 2


def _property(pattern: str, index: int) -> tuple[str, int]:
    match = _PROPERTY.match(pattern, index + 1)
    if match is None or match.group("name") not in _ASCII_PROPERTIES.keys() | _UNICODE_PROPERTIES.keys():
        raise UnsupportedPattern(pattern[index : index + 12])
    return match.group("name"), match.end()


def _character_class(pattern: str, start: int) -> tuple[str, int]:
    """A ``[...]`` class; ``\\p{...}`` and negated escapes inside it become alternatives."""
    index = start + 1
    negated = pattern.startswith("^", index)
    index += negated
    body: list[str] = []
    alternatives: list[str] = []
    while index < len(pattern) and pattern[index] != "]":
        inside, alternative, index = _class_item(pattern, index)
        body.append(inside)
        if alternative:
            alternatives.append(alternative)
    if index >= len(pattern) or not body:
        raise UnsupportedPattern("unterminated or empty class")
    inner = "".join(body)
    plain = f"[{'^' if negated else ''}{inner}]" if inner else ""
    if not alternatives:
        return plain, index + 1
    if negated:
        raise UnsupportedPattern("negated class with a Unicode property or a negated escape")
    return "(?:" + "|".join(filter(None, [plain, *alternatives])) + ")", index + 1


def _class_item(pattern: str, index: int) -> tuple[str, str, int]:
    """One item of a class: (text inside the Python class, alternative regex, next index)."""
    char = pattern[index]
    if char == "[" or pattern.startswith("&&", index):
        raise UnsupportedPattern("nested class or intersection")
    if char != "\\":
        return char, "", index + 1
    letter = pattern[index + 1 : index + 2]
    if letter == "p":
        name, end = _property(pattern, index)
        if name in _ASCII_PROPERTIES:
            return _ASCII_PROPERTIES[name], "", end
        return "", _UNICODE_PROPERTIES[name], end
    if letter.lower() in _ASCII_CLASSES:
        if letter.isupper():
            return "", f"[^{_ASCII_CLASSES[letter.lower()]}]", index + 2
        return _ASCII_CLASSES[letter], "", index + 2
    return pattern[index : index + 2], "", index + 2
