FROM python:3.11-slim-bookworm
# WeasyPrint renders with Pango; reports draw Chinese, Japanese, Korean and emoji with the Noto system fonts.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        fontconfig fonts-noto-cjk fonts-noto-color-emoji \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/gtready
COPY pyproject.toml README.md alembic.ini ./
COPY app app
COPY checklists checklists
COPY migrations migrations
# Editable: the app runs from /srv/gtready, where it finds alembic.ini, migrations/, checklists/, report_templates/
# and its web templates (a plain install would copy only the Python modules into site-packages).
RUN pip install --no-cache-dir -e .
COPY report_templates report_templates
EXPOSE 8000
# Serve only (uvicorn via `gtready serve`); migrations run once, in the compose file's one-shot `migrate` service
# (`gtready db upgrade`), so several replicas never race to migrate.
CMD ["gtready", "serve", "--host", "0.0.0.0", "--port", "8000"]
