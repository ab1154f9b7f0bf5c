"""Production teaches the mock: a validating, recording proxy and an in-process tap.

Layers, data flowing one way (each imports only those above it):
- wire     : bodies parsed, secrets scrubbed, hop-by-hop headers
- mp4      : an MP4's frame size, duration and sound, read from its bytes as they stream past
- judge    : one exchange against the spec, in the suite's states (`decide_state`)
- jobs     : jobs followed from create to content (timeline, durations, a status that goes back)
- recorder : NDJSON recordings, HAR 1.2
- session  : the bounded queue, the worker, the drift report (what the proxy and the tap share)
- server   : the proxy (ASGI, httpx, streamed both ways); tap: the httpx transports
- learn    : evidence proposed from recordings
- cli      : `aihubmix-mock proxy | export-har | evidence`
"""
