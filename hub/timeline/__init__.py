"""The timeline: what was recorded of each camera, when, and the frame at any moment."""
