# gunicorn reads this file from the working directory. The access log must not carry the
# one-time tokens of forwarder links (docs/forwarder-pages.md).
from provisioning.log_filters import gunicorn_logger_class

logger_class = gunicorn_logger_class()
