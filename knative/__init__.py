"""Deployment description: the function registry, the manifest renderer, generated manifests."""
