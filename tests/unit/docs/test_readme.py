"""The README documents every setting: a variable added to Settings without docs fails here."""

from pathlib import Path

from shared.config import Settings

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [f"GX_{name.upper()}" for name in Settings.model_fields
               if f"`GX_{name.upper()}`" not in README]
    assert not missing, f"document these in README.md 'Configuration': {missing}"


def test_the_two_commands_are_there() -> None:
    assert "make run" in README and "make test" in README
