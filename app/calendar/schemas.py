"""Request and response bodies of the calendar feed API."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CalendarFeedCreate(BaseModel):
    program_id: uuid.UUID | None = Field(default=None, description="A program's feed (champions and "
                                         "administrators); without it, your own due dates and sign-off lapses")


class CalendarFeedRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    scope: str
    program_id: uuid.UUID | None
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class CalendarFeedCreated(CalendarFeedRead):
    url: str = Field(description="The secret address to subscribe to; shown once, never again")
