"""Fan-service assistant for the official Weibo account @云雀手机."""

__version__ = "0.1.0"
