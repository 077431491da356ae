"""The camnet sender: captures frames on a camera machine and pushes JPEGs to the hub."""
