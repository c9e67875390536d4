# graphite-web settings for the graphite image. Debian's graphite puts
# /etc/graphite on sys.path and GRAPHITE_SETTINGS_MODULE=local_settings (set in
# the Dockerfile) makes both gunicorn and graphite-manage read this file.
import os

WHISPER_DIR = '/var/lib/graphite/whisper'
# the web app's own state, kept in the volume; hidden from metric finds
# (graphite skips names starting with a dot)
STATE_DIR = os.path.join(WHISPER_DIR, '.graphite-web')


def _secret_key():
    key = os.environ.get('GRAPHITE_SECRET_KEY', '').strip()
    if key:
        return key
    try:
        with open(os.path.join(STATE_DIR, 'secret_key')) as f:
            return f.read().strip()
    except OSError:
        # not started through the entrypoint; graphite warns about this value
        return 'UNSAFE_DEFAULT'


SECRET_KEY = _secret_key()
TIME_ZONE = 'UTC'
ALLOWED_HOSTS = ['*']

GRAPHITE_ROOT = '/usr/share/graphite-web'
CONF_DIR = '/etc/graphite'
STATIC_ROOT = '/usr/share/graphite-web/static'
STORAGE_DIR = '/var/lib/graphite'
STANDARD_DIRS = [WHISPER_DIR]
INDEX_FILE = os.path.join(STATE_DIR, 'search_index')
DATABASES = {
    'default': {
        'NAME': os.path.join(STATE_DIR, 'graphite.db'),
        'ENGINE': 'django.db.backends.sqlite3',
        'USER': '',
        'PASSWORD': '',
        'HOST': '',
        'PORT': '',
    },
}

# points still in carbon-cache's memory are read from it
CARBONLINK_HOSTS = ['127.0.0.1:7002']
CARBONLINK_TIMEOUT = 1.0
DEFAULT_XFILES_FACTOR = 0
FUNCTION_PLUGINS = []

# logs to stderr ('-'), the container's log; exceptions only (the per-request
# info lines repeat gunicorn's access log)
LOG_INFO_PERFORMANCE = False
LOG_CACHE_PERFORMANCE = False
LOG_RENDERING_PERFORMANCE = False
LOG_DIR = '/var/log/graphite'
LOG_ROTATION = False
LOG_FILE_INFO = '-'
LOG_FILE_EXCEPTION = '-'
LOG_FILE_CACHE = '-'
LOG_FILE_RENDERING = '-'

# graphite-web's models (and migrations) predate Django's DEFAULT_AUTO_FIELD
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
