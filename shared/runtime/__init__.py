"""The local runtime: embedded servers, the dev gateway, the in-process broker, `gx dev`."""
