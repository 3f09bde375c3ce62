from django.db import models


class EspMessageRoute(models.Model):
    """ESP message id → tenant schema (public schema), written when a batch is accepted.

    ESP webhooks arrive on the public host knowing only the ESP's id; this row says which tenant's
    schema holds the message. Tracking links need no table: their signed token carries the schema.
    """

    esp_message_id = models.CharField(max_length=255, unique=True)
    schema_name = models.CharField(max_length=63)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.esp_message_id} → {self.schema_name}"
