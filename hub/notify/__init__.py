"""Telling the world: MQTT (with Home Assistant discovery) and webhooks, each on its own
thread behind a bounded queue, so that a slow or dead consumer never touches the frame path."""
