from fastapi import APIRouter, HTTPException

router = APIRouter(prefix="/forecasts")


@router.get("/{city}")
async def forecast(city: str) -> dict[str, str]:
    if not city:
        raise HTTPException(status_code=404)
    return {"city": city, "summary": "sunny"}
