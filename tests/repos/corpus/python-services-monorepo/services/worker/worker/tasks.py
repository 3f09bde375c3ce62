from celery import Celery

app = Celery("worker", broker="amqp://guest@rabbitmq//")


@app.task(bind=True, max_retries=5)
def settle(self, payment_id: str) -> None:
    print("settling", payment_id)
