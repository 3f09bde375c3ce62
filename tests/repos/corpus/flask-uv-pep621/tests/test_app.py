from notes import create_app


def test_app_creates():
    assert create_app().name == "notes"
