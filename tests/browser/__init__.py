"""Helpers for the browser tests: Chromium launch, page probes, fake-microphone audio."""
