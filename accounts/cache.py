"""The Redis cache backend (settings.CACHES), keeping one client per connection pool.

Django's client builds a new ``redis.Redis`` around its pool on every call, which cost about as
much CPU as the command itself: a third of a Hawk nonce check, and most of a customs check.
A ``redis.Redis`` is safe to share between threads (each command takes a connection from the
pool), so one is kept per pool.
"""
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingClient
