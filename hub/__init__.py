"""The camnet hub: receives every camera, detects motion per camera, serves the web page."""
