# gunicorn for graphite-web (read with --config by the entrypoint).
# One process with a few threads keeps memory small; GUNICORN_WORKERS and
# GUNICORN_THREADS raise it.
import os

from gunicorn.glogging import Logger

bind = '0.0.0.0:8080'
workers = int(os.environ.get('GUNICORN_WORKERS', '1'))
threads = int(os.environ.get('GUNICORN_THREADS', '4'))
worker_class = 'gthread'
timeout = 30
graceful_timeout = 5
worker_tmp_dir = '/dev/shm'
proc_name = 'graphite-web'

accesslog = '-'
errorlog = '-'
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'

# the health check's own request, sent every few seconds
HEALTH_PATH = '/metrics/find'
HEALTH_QUERY = 'query=*'


class AccessLogger(Logger):
    """Gunicorn's access log without the health check's requests."""

    def access(self, resp, req, environ, request_time):
        if (environ.get('REMOTE_ADDR') == '127.0.0.1'
                and environ.get('PATH_INFO') == HEALTH_PATH
                and environ.get('QUERY_STRING') == HEALTH_QUERY):
            return
        super().access(resp, req, environ, request_time)


logger_class = AccessLogger
