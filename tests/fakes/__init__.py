"""Real local HTTP servers that speak provider APIs and inject faults, for the cloud tests."""
