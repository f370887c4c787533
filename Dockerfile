FROM python:3.11-slim-bookworm
# WeasyPrint renders with Pango.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/gtready
COPY pyproject.toml README.md alembic.ini ./
COPY app app
COPY checklists checklists
COPY migrations migrations
RUN pip install --no-cache-dir .
COPY report_templates report_templates
EXPOSE 8000
CMD ["sh", "-c", "gtready db upgrade && gtready serve --host 0.0.0.0 --port 8000"]
