"""config.translate words any model's validation errors: plain validators and Literal fields too."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from servicelevel.config import validation_issues


class Pipe(BaseModel):
    """A stand-in for a model written elsewhere (a mapping) with a plain ValueError validator."""

    model_config = ConfigDict(extra="forbid")
    shape: Literal["round", "square"] = "round"
    colour: str = "grey"

    @field_validator("colour")
    @classmethod
    def _known(cls, value: str) -> str:
        if value != "grey":
            raise ValueError(f'unknown colour "{value}"; expected grey (did you mean "grey"?)')
        return value


def issues_of(data: dict, text: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Pipe.model_validate(data)
    return [str(i) for i in validation_issues(caught.value, text, "pipe.toml", Pipe, ("pipe",))]


def test_a_plain_validator_hint_becomes_the_issue_suggestion():
    text = '[pipe]\ncolour = "grye"\n'
    [issue] = issues_of({"colour": "grye"}, text)
    assert issue == (
        'pipe.toml:2: pipe.colour: unknown colour "grye"; expected grey (did you mean "grey"?)'
    )


def test_a_literal_field_is_worded_like_a_choice():
    text = '[pipe]\nshape = "sqare"\n'
    assert issues_of({"shape": "sqare"}, text) == [
        'pipe.toml:2: pipe.shape: unknown shape "sqare"; expected one of round, square '
        '(did you mean "square"?)'
    ]
    assert issues_of({"shape": 4}, "[pipe]\nshape = 4\n") == [
        "pipe.toml:2: pipe.shape: expected one of round, square in double quotes, got 4"
    ]
