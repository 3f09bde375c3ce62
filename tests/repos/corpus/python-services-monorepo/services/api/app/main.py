import stripe
from fastapi import FastAPI

app = FastAPI(title="payments")


@app.post("/checkout")
async def checkout(amount: int) -> dict[str, str]:
    session = stripe.checkout.Session.create(mode="payment", line_items=[])
    return {"url": session.url}
