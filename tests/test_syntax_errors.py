"""Syntax errors in human terms: the table of common mistakes and carets."""

import pytest

import lrdsl
from lrdsl._syntax import MISTAKES

TABLE_CASES = [
    pytest.param(snippet, message, id=snippet)
    for message, _, snippets in MISTAKES
    for snippet in snippets
]


@pytest.mark.parametrize(("snippet", "message"), TABLE_CASES)
def test_every_table_snippet_gets_its_message(snippet, message):
    with pytest.raises(lrdsl.LrdslSyntaxError) as info:
        lrdsl.compile(snippet)
    assert message in info.value.message


@pytest.mark.parametrize(
    ("text", "message", "position", "hint"),
    [
        (
            "warmup(500 0.1)",
            "missing ',' between arguments",
            (1, 12),
            "separate arguments and list items with ','",
        ),
        (
            "warmup(500, 0.1",
            "expected ')' to close 'warmup(' opened at 1:1",
            (1, 16),
            None,
        ),
        (
            "a >>\n  cosine(3, 4",
            "expected ')' to close 'cosine(' opened at 2:3",
            (2, 14),
            None,
        ),
        (
            "f(1, [2, 3)",
            "expected ']' to close '[' opened at 1:6, got ')'",
            (1, 11),
            None,
        ),
        ("f(1,2))", "unmatched closing bracket, got ')'", (1, 7), None),
        (
            "warmup(1, 2) cosine(3, 4)",
            "two expressions with no operator",
            (1, 14),
            "join schedules with '>>' to run one after the other",
        ),
        (
            "lr = 3",
            "'=' only names a keyword argument",
            (1, 4),
            "bind variables with variables={...}, or vars: in a config",
        ),
        ("1 ** 2", "no power operator", (1, 3), None),
        (
            "lr.cosine(1)",
            "no attribute access",
            (1, 3),
            "call schedules by name, for example cosine(0.1, 1000)",
        ),
        ("a > b", "unexpected '>'", (1, 3), "sequencing is written '>>'"),
        ("a => b", "unexpected '=>'", (1, 3), "sequencing is written '>>'"),
        (
            "one_cycle(1, 10, anneal='cos')",
            'unexpected "\'"',
            (1, 25),
            'strings use double quotes: "cos"',
        ),
        ('f("cos)', "unterminated string", (1, 3), None),
        ("f(a=)", "keyword argument is missing its value", (1, 5), "write name=value"),
        ("a >> ", "missing its right operand, got the end of the text", (1, 5), None),
        ("a\x00b", "unexpected character '\\x00'", (1, 2), None),
    ],
)
def test_syntax_error_messages(text, message, position, hint):
    with pytest.raises(lrdsl.LrdslSyntaxError) as info:
        lrdsl.compile(text)
    error = info.value
    assert message in error.message
    assert (error.line, error.column) == position
    if hint is not None:
        assert error.hint == hint


def test_excerpt_for_unclosed_call():
    with pytest.raises(lrdsl.LrdslSyntaxError) as info:
        lrdsl.compile("warmup(1, 2) >>\n  cosine(3, 4")
    assert str(info.value) == (
        "2:14: expected ')' to close 'cosine(' opened at 2:3, got the end of "
        "the text\n"
        "    cosine(3, 4\n"
        "               ^"
    )


def test_excerpt_keeps_caret_aligned_with_tabs_and_controls():
    with pytest.raises(lrdsl.LrdslSyntaxError) as info:
        lrdsl.compile("\tf(1,\x01 2")
    lines = str(info.value).splitlines()
    assert lines[1] == "   f(1,? 2"
    assert lines[2] == "       ^"
    assert lines[2].index("^") == lines[1].index("?")


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("constant(0x10)", "hexadecimal literals such as 0x10", "decimal"),
        ("constant(0o17)", "octal literals such as 0o17", "decimal"),
        ("constant(0b101)", "binary literals such as 0b101", "decimal"),
        ("warmup(1_000, 1)", "'_' digit separators such as 1_000", "write 1000"),
    ],
)
def test_python_number_forms_named(text, message, hint):
    with pytest.raises(lrdsl.LrdslSyntaxError) as info:
        lrdsl.compile(text)
    assert message in info.value.message
    assert hint in info.value.hint
