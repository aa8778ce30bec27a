"""The HELM parser on tricky outputs: each expectation is worked out by hand from HELM's rule."""

import hashlib

import pytest

from roboreward_bench.errors import TaskError
from roboreward_bench.parsing import get_parser, parse_helm
from roboreward_bench.prompts import ROBOREWARD_V1, render_prompt

CASES = [
    ("ANSWER: 4", 4.0),
    ("5", 5.0),
    ("  5  ", 5.0),
    ("", None),
    ("   \n\t ", None),
    ("ANSWER: five", None),
    ("Answer : 4", 4.0),
    ("answer:3", 3.0),
    ("The robot grasped the cup but did not place it. ANSWER: 3", 3.0),
    ("ANSWER: 2\nANSWER: 5", 2.0),
    ("Reasoning: step 1 ... step 2\nFinal ANSWER: 4.", 4.0),
    ("ANSWER: 3.5", 3.5),
    ("ANSWER: -1", -1.0),
    ("ANSWER: 7", 7.0),  # never clamped
    ("3rd attempt looks fine", None),  # \b after the number fails
    # "1.5x": no word boundary between "5" and "x", so the regex backtracks to "1".
    ("1.5x speed", 1.0),
    ("4 out of 5", 4.0),
    ("Score 4", None),  # no "answer:", and text does not start with a number
    ("ANSWERS: 4", None),  # \banswer\b does not match inside "answers"
    ("my answer: 2 because", 2.0),
    ("The answer is 4", None),  # no colon
    ("-2", -2.0),
    ("ANSWER:\n5", 5.0),  # \s* spans the newline
    ("<answer>: 3", None),  # ">" sits between "answer" and the colon
    ("ANSWER: 04", 4.0),
    ("ANSWER: 3.", 3.0),
    ("ANSWER: .5", None),
    ("5\nANSWER: 2", 2.0),  # the answer pattern wins over a leading number
]


def test_at_least_twenty_cases():
    assert len(CASES) >= 20


@pytest.mark.parametrize("text,expected", CASES)
def test_helm_rule(text, expected):
    assert parse_helm(text).value == expected
    assert parse_helm(text).valid == (expected is not None)


def test_unknown_parser_suggests_name():
    with pytest.raises(TaskError, match="did you mean|Did you mean"):
        get_parser("hlem")


def test_prompt_is_byte_exact_roboreward_v1():
    # SHA-256 of the rubric text published on the RoboReward model cards (DESIGN.md §2).
    assert hashlib.sha256(ROBOREWARD_V1.encode()).hexdigest() == \
        "16ab376273eed1c14f78038adf166d69fa90cb60dc7ce6757b25bf6bbad1260b"


def test_prompt_renders_instruction_last():
    text = render_prompt("roboreward-v1", "put the spoon in the pot")
    assert text.endswith("\nTask: put the spoon in the pot")
    assert "<task>" not in text
