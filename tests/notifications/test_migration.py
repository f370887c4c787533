"""Migration 0010 adds the notification tables (with their unique delivery key) and comes down again, on both
databases."""

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from app import migrate
from app.config import Settings
from tests import db_harness


def test_notification_tables_come_up_with_a_unique_delivery_key_and_go_down_again(tmp_path: Path) -> None:
    url = db_harness.fresh_database_url(tmp_path, "notifications")
    settings = Settings(database_url=url)
    engine = create_engine(url)
    insert = text("INSERT INTO notifications (id, delivery_key, email, kind, subject, threshold, title, link, "
                  "context, state, attempts, last_error, created_at) VALUES (:id, 'k', 'a@b.org', 'mentioned', "
                  "'comment:1', '', 't', '', '{}', 'in_app', 0, '', '2026-11-30 00:00:00')")
    try:
        migrate.upgrade(settings, "0010")
        assert {"notifications", "notification_settings"} <= set(inspect(engine).get_table_names())
        with engine.begin() as connection:
            connection.execute(insert, {"id": "1" * 32})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert, {"id": "2" * 32})
        migrate.downgrade(settings, "0006")
        assert not {"notifications", "notification_settings"} & set(inspect(engine).get_table_names())
        migrate.upgrade(settings)
        assert {"notifications", "notification_settings"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
        if db_harness.USE_POSTGRES:
            db_harness.drop_postgres_database(url)
