from fastapi import FastAPI

app = FastAPI()


@app.post("/feedback")
async def feedback(payload: dict) -> dict:
    return {"received": bool(payload)}
