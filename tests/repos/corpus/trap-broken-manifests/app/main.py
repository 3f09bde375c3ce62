from flask import Flask
from redis import Redis

app = Flask(__name__)
cache = Redis()


@app.get("/hits")
def hits() -> dict[str, int]:
    return {"hits": cache.incr("hits")}
