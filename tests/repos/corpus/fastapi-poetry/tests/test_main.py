from app.main import app


def test_app_has_title():
    assert app.title == "Weather API"
