from fastapi import FastAPI

from app.routers import forecasts

app = FastAPI(title="Weather API")
app.include_router(forecasts.router)
