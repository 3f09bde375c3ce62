"""Scans uploaded projects; the test fixtures below are sample projects it reads."""

from flask import Flask

app = Flask(__name__)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
