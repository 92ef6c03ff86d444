FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files are collected at build time and served by whitenoise; the key is a build-only
# placeholder, the real one comes from the environment at run time.
RUN DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=build EMAIL_URL=smtp://build:25 \
    DJANGO_SECRET_KEY=build-only-placeholder-key-that-is-long-enough-1234567890 \
    python manage.py collectstatic --no-input
RUN useradd --system --no-create-home app
USER app
EXPOSE 8000
CMD ["gunicorn", "backoffice.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
