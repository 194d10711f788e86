# One image for every role of the production deployment (see docs/production.md); not built in CI here.
#   docker build -t frontdesk .
#   docker run frontdesk frontdesk db upgrade
#   docker run -p 8080:8080 frontdesk                                   # a webhook worker (default)
#   docker run frontdesk frontdesk worker --listen 0.0.0.0:8080         # the sender/scheduler worker
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FRONTDESK_VAR_DIR=/app/var \
    FRONTDESK_NLU_CACHE=/app/var/nlu \
    FRONTDESK_LOG_LEVEL=INFO

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY storage ./storage
COPY nlu_data ./nlu_data
COPY feedback_data ./feedback_data
# Editable, so the code finds nlu_data/ and feedback_data/ beside it as in a checkout.
RUN pip install --no-cache-dir -e . \
    && frontdesk nlu train \
    && python -c "from bot.nlu_factory import make_feedback_reader; from pathlib import Path; make_feedback_reader(Path('/app/var/nlu'))"

RUN useradd --system --home /app frontdesk && chown -R frontdesk /app/var
USER frontdesk
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["frontdesk", "run", "--webhook", "--listen", "0.0.0.0:8080", "--no-deliver"]
